// asm_edge: AArch64 corner cases that C cannot express without undefined
// behaviour, each printed as 16 hex digits: division by zero and INT_MIN / -1
// (no trap on AArch64), W-register writes zeroing the top half, NZCV after
// ADDS/SUBS/ADCS, conditional selects, bit operations, high multiplies,
// bitfield moves, addressing modes. Exits with status 7 via exit_group.
// Built with: aarch64-linux-gnu-gcc -nostdlib -static

        .macro  show reg
        mov     x0, \reg
        bl      print_hex
        .endm

        .macro  show_nzcv
        mrs     x0, nzcv
        bl      print_hex
        .endm

        .text
        .global _start
_start:
        // division
        mov     x19, #1234
        mov     x20, #0
        udiv    x21, x19, x20
        show    x21                     // 0
        sdiv    x21, x19, x20
        show    x21                     // 0
        mov     x19, #0x8000000000000000
        mov     x20, #-1
        sdiv    x21, x19, x20
        show    x21                     // 8000000000000000
        mov     w19, #0x80000000
        mov     w20, #-1
        sdiv    w21, w19, w20
        show    x21                     // 0000000080000000
        udiv    w21, w19, w20
        show    x21                     // 0
        mov     x19, #-7
        mov     x20, #2
        sdiv    x21, x19, x20
        show    x21                     // -3
        msub    x21, x21, x20, x19
        show    x21                     // -1
        // W writes zero the upper 32 bits
        mov     x21, #-1
        add     w21, w21, #0
        show    x21                     // 00000000ffffffff
        mov     x21, #-1
        orr     w21, wzr, w21, lsr #4
        show    x21                     // 000000000fffffff
        // flags
        mov     x19, #0x7fffffffffffffff
        adds    x21, x19, #1
        show_nzcv                       // N V
        mov     x20, #0
        subs    x21, x20, #1
        show_nzcv                       // N (borrow: C clear)
        mov     x19, #5
        subs    x21, x19, #5
        show_nzcv                       // Z C
        mov     w19, #0xffffffff
        adds    w21, w19, #1
        show_nzcv                       // Z C
        adcs    x21, xzr, xzr
        show    x21                     // 1 (carry in)
        cmp     w19, #0
        show_nzcv                       // N C (w19 = -1)
        ccmp    x19, #5, #0b0100, ne    // ne holds: compare x19 with 5
        show_nzcv
        ccmp    x19, #5, #0b0110, eq    // eq fails: nzcv = 0110
        show_nzcv
        // conditional selects
        mov     x19, #5
        cmp     x19, #3
        csinc   x21, xzr, xzr, le
        show    x21                     // 1
        cset    x21, gt
        show    x21                     // 1
        csetm   x21, lt
        show    x21                     // 0
        cneg    x21, x19, hi
        show    x21                     // -5
        csel    x21, x19, xzr, mi
        show    x21                     // 0
        // bit operations
        mov     x19, #0xf0
        clz     x21, x19
        show    x21                     // 56
        rbit    x21, x19
        show    x21
        rev     x21, x19
        show    x21
        movk    x19, #0x1234, lsl #16
        rev16   x21, x19
        show    x21
        rev32   x21, x19
        show    x21
        mov     x20, #-2
        cls     x21, x20
        show    x21                     // 62
        clz     w21, wzr
        show    x21                     // 32
        // high multiplies and widening
        mov     x19, #-1
        umulh   x21, x19, x19
        show    x21                     // fffffffffffffffe
        smulh   x21, x19, x19
        show    x21                     // 0
        mov     w20, #-3
        smull   x21, w20, w20
        show    x21                     // 9
        umull   x21, w20, w20
        show    x21
        // bitfields
        mov     x19, #0xabcd
        movk    x19, #0x8765, lsl #48
        ubfx    x21, x19, #4, #8
        show    x21                     // bc
        sbfx    x21, x19, #56, #8
        show    x21                     // ffffffffffffff87
        mov     x21, #-1
        bfi     x21, x19, #8, #12
        show    x21
        extr    x21, x19, x19, #12
        show    x21
        sxtb    x21, w19
        show    x21                     // ffffffffffffffcd
        uxth    w21, w19
        show    x21                     // abcd
        // addressing modes: sum an array with post-index, pre-index and ldp
        adrp    x19, table
        add     x19, x19, :lo12:table
        mov     x21, #0
        mov     x22, #4
1:      ldr     x23, [x19], #8
        add     x21, x21, x23
        subs    x22, x22, #1
        b.ne    1b
        ldp     x23, x24, [x19, #-32]!
        add     x21, x21, x23, lsl #4
        sub     x21, x21, x24, asr #1
        ldrsw   x23, [x19, #32]
        add     x21, x21, x23
        ldrsb   x23, [x19, #36]
        add     x21, x21, x23
        show    x21
        // store with writeback, then reload through a register offset
        adrp    x20, scratch
        add     x20, x20, :lo12:scratch
        mov     x22, #0x1122
        stp     x22, x21, [x20, #16]!
        mov     x23, #1
        ldr     x24, [x20, x23, lsl #3]
        show    x24
        ldrh    w24, [x20, #-16 + 16]
        show    x24                     // 1122
        // exit_group(7)
        mov     x0, #7
        mov     x8, #94
        svc     #0

// print_hex: write x0 as 16 hex digits and a newline to stdout.
// Clobbers x0-x6, x8; preserves NZCV (saved with MRS, restored with MSR).
print_hex:
        mrs     x6, nzcv
        sub     sp, sp, #32
        mov     x3, #15
        mov     x4, x0
2:      and     x5, x4, #0xf
        cmp     x5, #10
        add     x5, x5, #'0'
        b.lo    3f
        add     x5, x5, #('a' - '0' - 10)
3:      strb    w5, [sp, x3]
        lsr     x4, x4, #4
        subs    x3, x3, #1
        b.pl    2b
        mov     w5, #'\n'
        strb    w5, [sp, #16]
        mov     x0, #1
        mov     x1, sp
        mov     x2, #17
        mov     x8, #64                 // __NR_write
        svc     #0
        add     sp, sp, #32
        msr     nzcv, x6
        ret

        .data
        .balign 8
table:
        .quad   1, 100, 10000, -1000000
        .word   -5
        .byte   0x80, 0, 0, 0
scratch:
        .quad   0, 0, 0, 0, 0, 0
