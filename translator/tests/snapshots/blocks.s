// Representative guest blocks for the translation snapshots (translator/tests/snapshots.rs).
// Each block starts at a label blk_<class>_<name> and ends with a branch, return or svc.
// assemble.sh turns this file into blocks.txt (words and disassembly), which the test reads.
        .arch armv8.2-a+crypto+crc+lse+fp16
        .text

// ---- int: integer data processing
blk_int_add_imm:        add x0, x1, #1
                        ret
blk_int_add_shifted:    add x0, x1, x2, lsl #3
                        sub w3, w4, w5, asr #2
                        ret
blk_int_add_extended:   add x0, sp, w1, uxtw #2
                        sub x2, x3, w4, sxtb
                        ret
blk_int_logic:          and x0, x1, #0xff00ff00ff00ff00
                        orr w2, w3, w4, ror #7
                        eor x5, x6, x7
                        bic x8, x9, x10
                        orn w11, w12, w13
                        ret
blk_int_flags_adds:     adds x0, x1, x2
                        cset w3, cs
                        csel x4, x5, x6, vs
                        ret
blk_int_cmp_csinc:      cmp w0, #10
                        csinc w1, w2, w3, lt
                        csinv x4, x5, x6, ge
                        csneg x7, x8, x9, eq
                        ret
blk_int_adc_sbc:        adds x0, x0, x2
                        adcs x1, x1, x3
                        sbc x4, x5, x6
                        ret
blk_int_ccmp:           cmp x0, #3
                        ccmp x1, x2, #4, ne
                        cset w0, eq
                        ret
blk_int_ccmp_csel:      cmp x0, #3
                        ccmn x1, #1, #0, ne
                        csel x2, x1, x3, ne
                        cmp x2, #0
                        cset w0, lo
                        ret
blk_int_mov_wide:       movz x0, #0x1234, lsl #16
                        movk x0, #0x5678
                        movn w1, #0
                        ret
blk_int_bitfield:       ubfx x0, x1, #8, #12
                        sbfiz w2, w3, #4, #7
                        bfi x4, x5, #16, #8
                        bfxil w6, w7, #3, #5
                        ret
blk_int_extr_ror:       extr x0, x1, x2, #17
                        ror w3, w4, #5
                        ret
blk_int_shift_var:      lsl x0, x1, x2
                        lsr w3, w4, w5
                        asr x6, x7, x8
                        rorv w9, w10, w11
                        ret
blk_int_mul:            mul x0, x1, x2
                        madd w3, w4, w5, w6
                        msub x7, x8, x9, x10
                        ret
blk_int_mul_long:       umull x0, w1, w2
                        smaddl x3, w4, w5, x6
                        umulh x7, x8, x9
                        smulh x10, x11, x12
                        ret
blk_int_div:            udiv x0, x1, x2
                        sdiv w3, w4, w5
                        ret
blk_int_clz_rbit:       clz x0, x1
                        cls w2, w3
                        rbit x4, x5
                        rev w6, w7
                        rev16 x8, x9
                        ret
blk_int_adr:            adr x0, blk_int_add_imm
                        adrp x1, blk_int_add_imm
                        ret
blk_int_tst_branch:     tst x0, #0x7
                        b.ne blk_int_add_imm
                        ret
blk_int_neg_mvn:        neg x0, x1
                        negs w2, w3
                        mvn x4, x5
                        ret
blk_int_sxt_uxt:        sxtb x0, w1
                        sxth w2, w3
                        sxtw x4, w5
                        uxtb w6, w7
                        uxth w8, w9
                        ret
blk_int_abs_idiom:      cmp x0, #0
                        cneg x0, x0, lt
                        ret
blk_int_crc32:          crc32b w0, w0, w1
                        crc32cx w2, w2, x3
                        ret
blk_int_sysreg:         mrs x0, tpidr_el0
                        msr tpidr_el0, x1
                        mrs x2, cntvct_el0
                        mrs x3, fpcr
                        ret
blk_int_sum_loop:       add x2, x2, x0
                        sub x0, x0, #1
                        cbnz x0, blk_int_sum_loop
                        ret
blk_int_gcd_loop:       udiv x2, x0, x1
                        msub x2, x2, x1, x0
                        mov x0, x1
                        mov x1, x2
                        cbnz x1, blk_int_gcd_loop
                        ret

// ---- mem: loads and stores
blk_mem_ldr_imm:        ldr x0, [x1, #8]
                        ldr w2, [x1, #4092]
                        ret
blk_mem_ldr_sizes:      ldrb w0, [x1]
                        ldrsb x2, [x1, #1]
                        ldrh w3, [x1, #2]
                        ldrsh w4, [x1, #4]
                        ldrsw x5, [x1, #8]
                        ret
blk_mem_str_imm:        str x0, [x1, #16]
                        strb w2, [x1, #1]
                        strh w3, [x1, #2]
                        ret
blk_mem_ldr_reg:        ldr x0, [x1, x2, lsl #3]
                        ldr w3, [x1, w4, sxtw #2]
                        ldrb w5, [x1, x6]
                        ret
blk_mem_pre_post:       ldr x0, [x1, #16]!
                        str x2, [x3], #-8
                        ret
blk_mem_ldp_stp:        stp x29, x30, [sp, #-32]!
                        mov x29, sp
                        stp x19, x20, [sp, #16]
                        ldp x19, x20, [sp, #16]
                        ldp x29, x30, [sp], #32
                        ret
blk_mem_ldpsw:          ldpsw x0, x1, [x2]
                        ldp w3, w4, [x2, #8]
                        ret
blk_mem_ldur:           ldur x0, [x1, #-3]
                        stur w2, [x1, #-7]
                        ret
blk_mem_literal:        ldr x0, blk_int_add_imm
                        ldr w1, blk_int_add_imm
                        ret
blk_mem_same_base:      ldr x0, [x5]
                        ldr x1, [x5, #8]
                        ldr x2, [x5, #16]
                        ldr x3, [x5, #24]
                        add x0, x0, x1
                        add x2, x2, x3
                        add x0, x0, x2
                        ret
blk_mem_memcpy_loop:    ldr x3, [x1], #8
                        str x3, [x0], #8
                        subs x2, x2, #8
                        b.ne blk_mem_memcpy_loop
                        ret
blk_mem_strlen_loop:    ldrb w2, [x0, x1]
                        add x1, x1, #1
                        cbnz w2, blk_mem_strlen_loop
                        ret
blk_mem_array_sum:      ldr w3, [x0, x2, lsl #2]
                        add w1, w1, w3
                        add x2, x2, #1
                        cmp x2, x4
                        b.lt blk_mem_array_sum
                        ret
blk_mem_struct_update:  ldr x1, [x0, #8]
                        add x1, x1, #1
                        str x1, [x0, #8]
                        ldr w2, [x0, #16]
                        orr w2, w2, #1
                        str w2, [x0, #16]
                        ret
blk_mem_dc_zva:         dc zva, x0
                        ret
blk_mem_prfm:           prfm pldl1keep, [x0, #64]
                        ldr x1, [x0]
                        ret
blk_mem_simd_ldst:      ldr q0, [x0]
                        ldr d1, [x0, #16]
                        str q0, [x1]
                        str s1, [x1, #16]
                        ret
blk_mem_simd_ldp:       ldp q0, q1, [x0]
                        stp q0, q1, [x1], #32
                        ret

// ---- branch: control flow
blk_branch_b:           b blk_int_add_imm
blk_branch_bl:          mov x0, #1
                        bl blk_int_add_imm
blk_branch_blr:         blr x3
blk_branch_br:          br x16
blk_branch_ret:         ret
blk_branch_bcond:       cmp x0, x1
                        b.hi blk_int_add_imm
                        ret
blk_branch_cbz:         cbz w0, blk_int_add_imm
                        ret
blk_branch_tbnz:        tbnz x0, #63, blk_int_add_imm
                        ret
blk_branch_svc:         mov x8, #64
                        svc #0
blk_branch_brk:         brk #0x3e8
blk_branch_udf:         udf #0
blk_branch_switch:      cmp w0, #3
                        b.hi blk_int_add_imm
                        adr x1, blk_int_add_imm
                        ldrb w2, [x1, w0, uxtw]
                        add x1, x1, w2, sxtb #2
                        br x1
blk_branch_call_ret:    stp x29, x30, [sp, #-16]!
                        bl blk_int_add_imm
                        ldp x29, x30, [sp], #16
                        ret
blk_branch_nzcv:        mrs x0, nzcv
                        orr x0, x0, #0x20000000
                        msr nzcv, x0
                        b.cs blk_int_add_imm
                        ret

// ---- fp: scalar floating point
blk_fp_add_mul:         fadd d0, d1, d2
                        fmul s3, s4, s5
                        ret
blk_fp_div_sqrt:        fdiv d0, d1, d2
                        fsqrt d3, d4
                        ret
blk_fp_fma:             fmadd d0, d1, d2, d3
                        fnmsub s4, s5, s6, s7
                        ret
blk_fp_cmp:             fcmp d0, d1
                        cset w0, mi
                        fcmpe s2, #0.0
                        b.gt blk_int_add_imm
                        ret
blk_fp_csel:            fcmp d0, d1
                        fcsel d2, d3, d4, lt
                        ret
blk_fp_cvt_int:         fcvtzs x0, d0
                        fcvtzu w1, s1
                        scvtf d2, x2
                        ucvtf s3, w3
                        ret
blk_fp_cvt_prec:        fcvt d0, s1
                        fcvt s2, d3
                        fcvt h4, s5
                        ret
blk_fp_round:           frintm d0, d1
                        frinta s2, s3
                        frintx d4, d5
                        ret
blk_fp_minmax:          fmaxnm d0, d1, d2
                        fmin s3, s4, s5
                        ret
blk_fp_abs_neg:         fabs d0, d1
                        fneg s2, s3
                        fmov d4, #1.0
                        fmov x5, d6
                        fmov d7, x8
                        ret
blk_fp_half:            fadd h0, h1, h2
                        fmadd h3, h4, h5, h6
                        fcmp h0, h3
                        fcvtzs w7, h0
                        ret
blk_fp_fixed:           fcvtzs w0, d0, #16
                        scvtf s1, w1, #8
                        ret
blk_fp_dot_loop:        ldr d1, [x0], #8
                        ldr d2, [x1], #8
                        fmadd d0, d1, d2, d0
                        subs x2, x2, #1
                        b.ne blk_fp_dot_loop
                        ret
blk_fp_fpsr:            mrs x0, fpsr
                        msr fpsr, xzr
                        ret

// ---- neon: AdvSIMD
blk_neon_add:           add v0.4s, v1.4s, v2.4s
                        sub v3.16b, v4.16b, v5.16b
                        ret
blk_neon_logic:         and v0.16b, v1.16b, v2.16b
                        eor v3.8b, v4.8b, v5.8b
                        bsl v6.16b, v7.16b, v8.16b
                        ret
blk_neon_mul:           mul v0.8h, v1.8h, v2.8h
                        mla v3.4s, v4.4s, v5.4s
                        ret
blk_neon_cmp:           cmeq v0.4s, v1.4s, v2.4s
                        cmhi v3.16b, v4.16b, v5.16b
                        cmlt v6.8h, v7.8h, #0
                        ret
blk_neon_shift:         shl v0.4s, v1.4s, #3
                        ushr v2.2d, v3.2d, #7
                        sshr v4.8h, v5.8h, #15
                        ret
blk_neon_dup_ins:       dup v0.4s, w1
                        ins v2.s[1], w3
                        umov w4, v5.h[3]
                        dup v6.8h, v7.h[2]
                        ret
blk_neon_movi:          movi v0.2d, #0
                        movi v1.16b, #0x7f
                        mvni v2.4s, #0
                        ret
blk_neon_fp:            fadd v0.4s, v1.4s, v2.4s
                        fmul v3.2d, v4.2d, v5.2d
                        fmla v6.4s, v7.4s, v8.4s
                        ret
blk_neon_fp_elem:       fmla v0.4s, v1.4s, v2.s[1]
                        fmul v3.2d, v4.2d, v5.d[0]
                        ret
blk_neon_reduce:        addv s0, v1.4s
                        umaxv b2, v3.16b
                        addp d4, v5.2d
                        ret
blk_neon_widen:         uxtl v0.8h, v1.8b
                        sxtl2 v2.4s, v3.8h
                        xtn v4.8b, v5.8h
                        ret
blk_neon_sat:           sqadd v0.4s, v1.4s, v2.4s
                        uqsub v3.16b, v4.16b, v5.16b
                        sqxtn v6.4h, v7.4s
                        ret
blk_neon_sqdmulh:       sqdmulh v0.8h, v1.8h, v2.8h
                        sqrdmulh v3.4s, v4.4s, v5.s[1]
                        ret
blk_neon_perm:          zip1 v0.4s, v1.4s, v2.4s
                        uzp2 v3.8h, v4.8h, v5.8h
                        trn1 v6.16b, v7.16b, v8.16b
                        ext v9.16b, v10.16b, v11.16b, #3
                        ret
blk_neon_tbl:           tbl v0.16b, {v1.16b}, v2.16b
                        ret
blk_neon_cnt:           cnt v0.8b, v1.8b
                        addv b0, v0.8b
                        fmov w0, s0
                        ret
blk_neon_abs_minmax:    abs v0.4s, v1.4s
                        smax v2.8h, v3.8h, v4.8h
                        uminp v5.16b, v6.16b, v7.16b
                        ret
blk_neon_fcvt:          fcvtzs v0.4s, v1.4s
                        scvtf v2.2d, v3.2d
                        fcvtl v4.2d, v5.2s
                        fcvtn v6.2s, v7.2d
                        ret
blk_neon_fcmp:          fcmgt v0.4s, v1.4s, v2.4s
                        fcmeq v3.2d, v4.2d, #0.0
                        ret
blk_neon_ld1_st1:       ld1 {v0.16b}, [x0], #16
                        st1 {v0.16b}, [x1], #16
                        ret
blk_neon_ld2:           ld2 {v0.4s, v1.4s}, [x0]
                        st2 {v0.4s, v1.4s}, [x1]
                        ret
blk_neon_ld1r_lane:     ld1r {v0.4s}, [x0]
                        ld1 {v1.s}[2], [x1]
                        st1 {v1.d}[1], [x2]
                        ret
blk_neon_saxpy_loop:    ldr q1, [x1, x3]
                        ldr q2, [x2, x3]
                        fmla v2.4s, v1.4s, v0.s[0]
                        str q2, [x2, x3]
                        add x3, x3, #16
                        cmp x3, x4
                        b.ne blk_neon_saxpy_loop
                        ret
blk_neon_memchr_loop:   ldr q1, [x0], #16
                        cmeq v1.16b, v1.16b, v0.16b
                        umaxp v1.16b, v1.16b, v1.16b
                        fmov x2, d1
                        cbz x2, blk_neon_memchr_loop
                        ret
blk_neon_pmull:         pmull v0.1q, v1.1d, v2.1d
                        pmull2 v3.8h, v4.16b, v5.16b
                        ret
blk_neon_scalar_sat:    sqadd s0, s1, s2
                        uqshl d3, d4, #5
                        sqrshrn h5, s6, #3
                        ret
blk_neon_half_arith:    fmla v0.8h, v1.8h, v2.8h
                        fmaxnmv h3, v0.8h
                        ret
blk_neon_half_cvt:      fcvtl v0.4s, v1.4h
                        fcvtn v2.4h, v3.4s
                        ret
blk_neon_recip:         frecpe v0.4s, v1.4s
                        frsqrts v2.4s, v3.4s, v4.4s
                        ret

// ---- crypto
blk_crypto_aes:         aese v0.16b, v1.16b
                        aesmc v0.16b, v0.16b
                        ret
blk_crypto_aesd:        aesd v0.16b, v1.16b
                        aesimc v0.16b, v0.16b
                        ret
blk_crypto_sha256:      sha256h q0, q1, v2.4s
                        sha256h2 q1, q0, v2.4s
                        sha256su0 v3.4s, v4.4s
                        sha256su1 v3.4s, v5.4s, v6.4s
                        ret
blk_crypto_sha1:        sha1c q0, s1, v2.4s
                        sha1h s3, s4
                        sha1su0 v5.4s, v6.4s, v7.4s
                        sha1su1 v5.4s, v6.4s
                        ret
blk_crypto_aes_loop:    ldr q1, [x1], #16
                        aese v0.16b, v1.16b
                        aesmc v0.16b, v0.16b
                        subs x2, x2, #1
                        b.ne blk_crypto_aes_loop
                        ret

// ---- atomic: exclusives, LSE, barriers
blk_atomic_ldxr_stxr:   ldaxr x1, [x0]
                        add x1, x1, #1
                        stlxr w2, x1, [x0]
                        cbnz w2, blk_atomic_ldxr_stxr
                        ret
blk_atomic_ldadd:       ldaddal x1, x2, [x0]
                        ldclr w3, w4, [x0]
                        ret
blk_atomic_swp:         swpal x1, x2, [x0]
                        ret
blk_atomic_cas:         casal x1, x2, [x0]
                        ret
blk_atomic_casp:        caspal x2, x3, x4, x5, [x0]
                        ret
blk_atomic_ldxp:        ldaxp x1, x2, [x0]
                        stlxp w3, x1, x2, [x0]
                        ret
blk_atomic_barriers:    dmb ish
                        dsb sy
                        isb
                        ret
blk_atomic_ldar_stlr:   ldar x1, [x0]
                        stlr x2, [x0]
                        ldarb w3, [x0]
                        ret
blk_atomic_clrex:       clrex
                        ret
blk_atomic_spinlock:    ldaxr w1, [x0]
                        cbnz w1, blk_atomic_spinlock
                        stxr w1, w2, [x0]
                        cbnz w1, blk_atomic_spinlock
                        ret
blk_atomic_ic_ivau:     dc cvau, x0
                        ic ivau, x0
                        ret
