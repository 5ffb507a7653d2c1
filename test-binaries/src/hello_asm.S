// hello_asm: no libc, no startup code: write(1, msg, len) and exit(0) with
// raw Linux system calls (AArch64: number in x8, arguments in x0-x5, svc #0).
// Built with: aarch64-linux-gnu-gcc -nostdlib -static

        .text
        .global _start
_start:
        mov     x0, #1                  // fd = stdout
        adrp    x1, msg
        add     x1, x1, :lo12:msg       // buf
        mov     x2, #(msg_end - msg)    // count
        mov     x8, #64                 // __NR_write
        svc     #0
        mov     x0, #0                  // status
        mov     x8, #93                 // __NR_exit
        svc     #0

        .section .rodata
msg:
        .ascii  "Hello from raw AArch64 syscalls!\n"
msg_end:
