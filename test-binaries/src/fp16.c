/* FEAT_FP16, every half-precision form. Scalar FP: FMOV (register, immediate, to and from W
 * and X), FABS, FNEG, FSQRT, FRINT[NPMZAXI], FCVT[NPMAZ][SU] to W and X and FCVTZ[SU]
 * fixed-point, SCVTF/UCVTF from W and X and fixed-point, FADD, FSUB, FMUL, FDIV, FNMUL, FMAX,
 * FMIN, FMAXNM, FMINNM, FMADD, FMSUB, FNMADD, FNMSUB, FCMP/FCMPE (register and #0.0: NZCV),
 * FCCMP/FCCMPE and FCSEL (condition true and false). AdvSIMD scalar: three-same (FABD, FMULX,
 * compares, FRECPS, FRSQRTS), two-register (conversions, compares with zero, FRECPE, FRSQRTE,
 * FRECPX), pairwise on 2H, by element, fixed-point. AdvSIMD vector, 4H and 8H: three-same,
 * two-register, across lanes, by element (every index, Vm up to V15), FMOV immediate,
 * fixed-point. A result is the whole Q register (scalar and 4H forms must zero what is above),
 * the general register (all ones before) or NZCV.
 *
 * Operands: halves of every kind (zeros, ones, fractions, ties, the smallest and largest
 * denormals, the smallest normal, the largest, infinities, quiet and signalling NaNs with
 * payloads and signs, values whose sums, products and quotients are inexact, overflow or
 * underflow); integers (16-, 32- and 64-bit edges, ties, values that overflow or underflow a
 * half). Every pair of halves (two values in each vector), a fifth of the triples, a quarter of
 * the pairs for one-operand forms, under FPCR: RN, DN, FZ16, FZ and AHP (neither touches FP16
 * arithmetic), RP, RM, RZ, DN+FZ16+RZ. A line per form gives a digest of the results and FPSRs
 * and the OR of the FPSRs under each FPCR; some forms also print each result under RN. And the
 * features are advertised (HWCAP_FPHP, HWCAP_ASIMDHP).
 *
 * qemu 7.2 sign-extends the result of FCVTZS Hd, Hn, #fbits into bits 16-31 of Vd (the Arm ARM
 * zeroes everything above Hd; later qemu too): the digests of those forms are corrected. */
//@ aarch64-only
//@ cflags: -march=armv8.2-a+fp16
//@ qemu-wrong: fcvtzs_h1: 36868690/11 36868690/11 871c3cd2/11 36868690/11 36868690/11 36868690/11 36868690/11 36868690/11 871c3cd2/11 => fcvtzs_h1: 56b833be/11 56b833be/11 27d96cbe/11 56b833be/11 56b833be/11 56b833be/11 56b833be/11 56b833be/11 27d96cbe/11
//@ qemu-wrong: fcvtzs_h10: cc7cd020/11 cc7cd020/11 657cff57/11 cc7cd020/11 cc7cd020/11 cc7cd020/11 cc7cd020/11 cc7cd020/11 657cff57/11 => fcvtzs_h10: acfad48d/11 acfad48d/11 8ed5e3d7/11 acfad48d/11 acfad48d/11 acfad48d/11 acfad48d/11 acfad48d/11 8ed5e3d7/11
//@ qemu-wrong: fcvtzs_h16: a5c9f4db/11 a5c9f4db/11 bc51a788/11 a5c9f4db/11 a5c9f4db/11 a5c9f4db/11 a5c9f4db/11 a5c9f4db/11 bc51a788/11 => fcvtzs_h16: a867f0e7/11 a867f0e7/11 5c8ed371/11 a867f0e7/11 a867f0e7/11 a867f0e7/11 a867f0e7/11 a867f0e7/11 5c8ed371/11
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

#define HWCAP_FPHP (1 << 9)
#define HWCAP_ASIMDHP (1 << 10)

#include "vec_forms.h"

/* Operands (see run_all): one (V1), two (V1, V2), three (V0, V1, V2), integers (V1); SHOW: print
 * results (the operands of lane 0) under the default FPCR, not just the digest. */
enum { UN, BIN, TRI, INT, SHOW = 4 };

/* The result in a general register (X9, set to all ones first) or NZCV, moved to D0; operands
 * from a general register (D1 in X9); NZCV set to Z, N or nothing first. */
#define GPR(insn) "mov x9, #-1\n " insn "\n fmov d0, x9"
#define FLAGS(insn) insn "\n mrs x9, nzcv\n fmov d0, x9"
#define FROM_X(insn) "fmov x9, d1\n " insn
#define SET_Z "mov x9, #0x40000000\n msr nzcv, x9\n "
#define SET_N "mov x9, #0x80000000\n msr nzcv, x9\n "
#define SET_0 "msr nzcv, xzr\n "

/* name, shape, instruction: scalar FP, AdvSIMD scalar, AdvSIMD vector. */
#define FORMS(X)                                                                                   \
    X(fmov_h, UN, "fmov h0, h1") X(fmov_i1, UN, "fmov h0, #1.0")                                   \
    X(fmov_i2, UN, "fmov h0, #-0.125") X(fmov_i3, UN, "fmov h0, #31.0")                            \
    X(fmov_i4, UN, "fmov h0, #-1.9375")                                                            \
    X(fmov_wh, UN, GPR("fmov w9, h1")) X(fmov_xh, UN, GPR("fmov x9, h1"))                          \
    X(fmov_hw, UN | SHOW, FROM_X("fmov h0, w9")) X(fmov_hx, UN, FROM_X("fmov h0, x9"))             \
    X(fabs, UN | SHOW, "fabs h0, h1") X(fneg, UN | SHOW, "fneg h0, h1")                            \
    X(fsqrt, UN | SHOW, "fsqrt h0, h1")                                                            \
    X(frintn, UN | SHOW, "frintn h0, h1") X(frintp, UN, "frintp h0, h1")                           \
    X(frintm, UN, "frintm h0, h1") X(frintz, UN, "frintz h0, h1")                                  \
    X(frinta, UN | SHOW, "frinta h0, h1") X(frintx, UN | SHOW, "frintx h0, h1")                    \
    X(frinti, UN, "frinti h0, h1")                                                                 \
    X(fcvtns_w, UN | SHOW, GPR("fcvtns w9, h1")) X(fcvtns_x, UN, GPR("fcvtns x9, h1"))             \
    X(fcvtnu_w, UN, GPR("fcvtnu w9, h1")) X(fcvtnu_x, UN, GPR("fcvtnu x9, h1"))                    \
    X(fcvtps_w, UN, GPR("fcvtps w9, h1")) X(fcvtps_x, UN, GPR("fcvtps x9, h1"))                    \
    X(fcvtpu_w, UN, GPR("fcvtpu w9, h1")) X(fcvtpu_x, UN, GPR("fcvtpu x9, h1"))                    \
    X(fcvtms_w, UN, GPR("fcvtms w9, h1")) X(fcvtms_x, UN, GPR("fcvtms x9, h1"))                    \
    X(fcvtmu_w, UN, GPR("fcvtmu w9, h1")) X(fcvtmu_x, UN, GPR("fcvtmu x9, h1"))                    \
    X(fcvtas_w, UN, GPR("fcvtas w9, h1")) X(fcvtas_x, UN | SHOW, GPR("fcvtas x9, h1"))             \
    X(fcvtau_w, UN, GPR("fcvtau w9, h1")) X(fcvtau_x, UN, GPR("fcvtau x9, h1"))                    \
    X(fcvtzs_w, UN, GPR("fcvtzs w9, h1")) X(fcvtzs_x, UN, GPR("fcvtzs x9, h1"))                    \
    X(fcvtzu_w, UN | SHOW, GPR("fcvtzu w9, h1")) X(fcvtzu_x, UN, GPR("fcvtzu x9, h1"))             \
    X(fcvtzs_w1, UN, GPR("fcvtzs w9, h1, #1")) X(fcvtzs_w16, UN | SHOW, GPR("fcvtzs w9, h1, #16")) \
    X(fcvtzs_w32, UN, GPR("fcvtzs w9, h1, #32")) X(fcvtzs_x1, UN, GPR("fcvtzs x9, h1, #1"))        \
    X(fcvtzs_x16, UN, GPR("fcvtzs x9, h1, #16")) X(fcvtzs_x32, UN, GPR("fcvtzs x9, h1, #32"))      \
    X(fcvtzs_x64, UN, GPR("fcvtzs x9, h1, #64"))                                                   \
    X(fcvtzu_w1, UN, GPR("fcvtzu w9, h1, #1")) X(fcvtzu_w16, UN, GPR("fcvtzu w9, h1, #16"))        \
    X(fcvtzu_w32, UN, GPR("fcvtzu w9, h1, #32")) X(fcvtzu_x1, UN, GPR("fcvtzu x9, h1, #1"))        \
    X(fcvtzu_x16, UN, GPR("fcvtzu x9, h1, #16")) X(fcvtzu_x32, UN, GPR("fcvtzu x9, h1, #32"))      \
    X(fcvtzu_x64, UN | SHOW, GPR("fcvtzu x9, h1, #64"))                                            \
    X(scvtf_w, INT | SHOW, FROM_X("scvtf h0, w9")) X(scvtf_x, INT | SHOW, FROM_X("scvtf h0, x9"))  \
    X(ucvtf_w, INT | SHOW, FROM_X("ucvtf h0, w9")) X(ucvtf_x, INT | SHOW, FROM_X("ucvtf h0, x9"))  \
    X(scvtf_w1, INT, FROM_X("scvtf h0, w9, #1")) X(scvtf_w16, INT, FROM_X("scvtf h0, w9, #16"))    \
    X(scvtf_w32, INT | SHOW, FROM_X("scvtf h0, w9, #32"))                                          \
    X(scvtf_x1, INT, FROM_X("scvtf h0, x9, #1")) X(scvtf_x16, INT, FROM_X("scvtf h0, x9, #16"))    \
    X(scvtf_x32, INT, FROM_X("scvtf h0, x9, #32")) X(scvtf_x64, INT, FROM_X("scvtf h0, x9, #64"))  \
    X(ucvtf_w1, INT, FROM_X("ucvtf h0, w9, #1")) X(ucvtf_w16, INT, FROM_X("ucvtf h0, w9, #16"))    \
    X(ucvtf_w32, INT, FROM_X("ucvtf h0, w9, #32"))                                                 \
    X(ucvtf_x1, INT, FROM_X("ucvtf h0, x9, #1")) X(ucvtf_x16, INT, FROM_X("ucvtf h0, x9, #16"))    \
    X(ucvtf_x32, INT, FROM_X("ucvtf h0, x9, #32"))                                                 \
    X(ucvtf_x64, INT | SHOW, FROM_X("ucvtf h0, x9, #64"))                                          \
    X(fadd, BIN | SHOW, "fadd h0, h1, h2") X(fsub, BIN, "fsub h0, h1, h2")                         \
    X(fmul, BIN | SHOW, "fmul h0, h1, h2") X(fdiv, BIN | SHOW, "fdiv h0, h1, h2")                  \
    X(fnmul, BIN, "fnmul h0, h1, h2")                                                              \
    X(fmax, BIN | SHOW, "fmax h0, h1, h2") X(fmin, BIN, "fmin h0, h1, h2")                         \
    X(fmaxnm, BIN, "fmaxnm h0, h1, h2") X(fminnm, BIN | SHOW, "fminnm h0, h1, h2")                 \
    X(fmadd, TRI | SHOW, "fmadd h0, h1, h2, h0") X(fmsub, TRI, "fmsub h0, h1, h2, h0")             \
    X(fnmadd, TRI, "fnmadd h0, h1, h2, h0") X(fnmsub, TRI, "fnmsub h0, h1, h2, h0")                \
    X(fcmp, BIN | SHOW, FLAGS("fcmp h1, h2")) X(fcmpe, BIN, FLAGS("fcmpe h1, h2"))                 \
    X(fcmp_0, UN, FLAGS("fcmp h1, #0.0")) X(fcmpe_0, UN | SHOW, FLAGS("fcmpe h1, #0.0"))           \
    X(fccmp_t, BIN, SET_Z FLAGS("fccmp h1, h2, #0xc, eq"))                                         \
    X(fccmp_f, BIN, SET_0 FLAGS("fccmp h1, h2, #0xc, eq"))                                         \
    X(fccmpe_t, BIN | SHOW, SET_N FLAGS("fccmpe h1, h2, #0xc, lt"))                                \
    X(fccmpe_f, BIN, SET_0 FLAGS("fccmpe h1, h2, #0xc, vs"))                                       \
    X(fcsel_t, BIN, SET_Z "fcsel h0, h1, h2, eq") X(fcsel_f, BIN, SET_0 "fcsel h0, h1, h2, eq")    \
                                                                                                   \
    X(fabd_h, BIN, "fabd h0, h1, h2") X(fmulx_h, BIN | SHOW, "fmulx h0, h1, h2")                   \
    X(fcmeq_h, BIN, "fcmeq h0, h1, h2") X(fcmge_h, BIN, "fcmge h0, h1, h2")                        \
    X(fcmgt_h, BIN, "fcmgt h0, h1, h2") X(facge_h, BIN, "facge h0, h1, h2")                        \
    X(facgt_h, BIN | SHOW, "facgt h0, h1, h2")                                                     \
    X(frecps_h, BIN | SHOW, "frecps h0, h1, h2") X(frsqrts_h, BIN | SHOW, "frsqrts h0, h1, h2")    \
    X(fcvtns_h, UN, "fcvtns h0, h1") X(fcvtnu_h, UN, "fcvtnu h0, h1")                              \
    X(fcvtps_h, UN, "fcvtps h0, h1") X(fcvtpu_h, UN, "fcvtpu h0, h1")                              \
    X(fcvtms_h, UN, "fcvtms h0, h1") X(fcvtmu_h, UN, "fcvtmu h0, h1")                              \
    X(fcvtas_h, UN | SHOW, "fcvtas h0, h1") X(fcvtau_h, UN, "fcvtau h0, h1")                       \
    X(fcvtzs_h, UN | SHOW, "fcvtzs h0, h1") X(fcvtzu_h, UN, "fcvtzu h0, h1")                       \
    X(fcmeq0_h, UN, "fcmeq h0, h1, #0.0") X(fcmge0_h, UN, "fcmge h0, h1, #0.0")                    \
    X(fcmgt0_h, UN, "fcmgt h0, h1, #0.0") X(fcmle0_h, UN, "fcmle h0, h1, #0.0")                    \
    X(fcmlt0_h, UN, "fcmlt h0, h1, #0.0")                                                          \
    X(frecpe_h, UN | SHOW, "frecpe h0, h1") X(frsqrte_h, UN | SHOW, "frsqrte h0, h1")              \
    X(frecpx_h, UN | SHOW, "frecpx h0, h1")                                                        \
    X(fcvtzs_h1, UN, "fcvtzs h0, h1, #1") X(fcvtzs_h10, UN, "fcvtzs h0, h1, #10")                  \
    X(fcvtzs_h16, UN, "fcvtzs h0, h1, #16") X(fcvtzu_h1, UN, "fcvtzu h0, h1, #1")                  \
    X(fcvtzu_h10, UN | SHOW, "fcvtzu h0, h1, #10") X(fcvtzu_h16, UN, "fcvtzu h0, h1, #16")         \
    X(scvtf_h, INT | SHOW, "scvtf h0, h1") X(ucvtf_h, INT | SHOW, "ucvtf h0, h1")                  \
    X(scvtf_h1, INT, "scvtf h0, h1, #1") X(scvtf_h10, INT, "scvtf h0, h1, #10")                    \
    X(scvtf_h16, INT, "scvtf h0, h1, #16") X(ucvtf_h1, INT, "ucvtf h0, h1, #1")                    \
    X(ucvtf_h10, INT, "ucvtf h0, h1, #10") X(ucvtf_h16, INT | SHOW, "ucvtf h0, h1, #16")           \
    X(faddp_2h, BIN, "faddp h0, v1.2h") X(fmaxp_2h, BIN, "fmaxp h0, v1.2h")                        \
    X(fminp_2h, BIN, "fminp h0, v1.2h") X(fmaxnmp_2h, BIN, "fmaxnmp h0, v1.2h")                    \
    X(fminnmp_2h, BIN | SHOW, "fminnmp h0, v1.2h")                                                 \
    X(fmla_he7, TRI, "fmla h0, h1, v2.h[7]") X(fmls_he2, TRI, "fmls h0, h1, v2.h[2]")              \
    X(fmul_he5, BIN, "fmul h0, h1, v2.h[5]") X(fmulx_he0, BIN, "fmulx h0, h1, v2.h[0]")            \
    X(fmul_he3, BIN, "mov v15.16b, v2.16b\n fmul h0, h1, v15.h[3]")                                \
                                                                                                   \
    VEC(fadd, BIN) VEC(fsub, BIN) VEC(fmul, BIN) VEC(fdiv, BIN)                                    \
    VEC(fmax, BIN) VEC(fmin, BIN) VEC(fmaxnm, BIN) VEC(fminnm, BIN)                                \
    VEC(fmla, TRI) VEC(fmls, TRI) VEC(fabd, BIN) VEC(fmulx, BIN)                                   \
    VEC(frecps, BIN) VEC(frsqrts, BIN)                                                             \
    VEC(faddp, BIN) VEC(fmaxp, BIN) VEC(fminp, BIN) VEC(fmaxnmp, BIN) VEC(fminnmp, BIN)            \
    VEC(fcmeq, BIN) VEC(fcmge, BIN) VEC(fcmgt, BIN) VEC(facge, BIN) VEC(facgt, BIN)                \
    VEC1(fabs, UN) VEC1(fneg, UN) VEC1(fsqrt, UN)                                                  \
    VEC1(frintn, UN) VEC1(frintp, UN) VEC1(frintm, UN) VEC1(frintz, UN)                            \
    VEC1(frinta, UN) VEC1(frintx, UN) VEC1(frinti, UN)                                             \
    VEC1(fcvtns, UN) VEC1(fcvtnu, UN) VEC1(fcvtps, UN) VEC1(fcvtpu, UN) VEC1(fcvtms, UN)           \
    VEC1(fcvtmu, UN) VEC1(fcvtas, UN) VEC1(fcvtau, UN) VEC1(fcvtzs, UN) VEC1(fcvtzu, UN)           \
    VEC1(scvtf, INT) VEC1(ucvtf, INT) VEC1(frecpe, UN) VEC1(frsqrte, UN)                           \
    VEC0(fcmeq) VEC0(fcmge) VEC0(fcmgt) VEC0(fcmle) VEC0(fcmlt)                                    \
    ACROSS(fmaxnmv) ACROSS(fminnmv) ACROSS(fmaxv) ACROSS(fminv)                                    \
    X(fadd_4h_s, BIN | SHOW, "fadd v0.4h, v1.4h, v2.4h")                                           \
    X(fmaxv_8h_s, BIN | SHOW, "fmaxv h0, v1.8h") X(fminnmv_8h_s, BIN | SHOW, "fminnmv h0, v1.8h")  \
    ELEM(fmla, 8, 0, TRI) ELEM(fmla, 8, 3, TRI) ELEM(fmls, 8, 6, TRI) ELEM(fmls, 8, 1, TRI)        \
    ELEM(fmul, 8, 2, BIN) X(fmul_8h_e7, BIN, "mov v15.16b, v2.16b\n fmul v0.8h, v1.8h, v15.h[7]")  \
    ELEM(fmulx, 8, 4, BIN) ELEM(fmulx, 8, 5, BIN)                                                  \
    ELEM(fmla, 4, 7, TRI) ELEM(fmls, 4, 4, TRI) ELEM(fmul, 4, 1, BIN) ELEM(fmulx, 4, 6, BIN)       \
    X(fmov_8h_i1, UN, "fmov v0.8h, #-2.5") X(fmov_8h_i2, UN, "fmov v0.8h, #0.125")                 \
    X(fmov_4h_i1, UN, "fmov v0.4h, #31.0") X(fmov_4h_i2, UN, "fmov v0.4h, #-1.0")                  \
    FIXED(scvtf, INT) FIXED(ucvtf, INT) FIXED(fcvtzs, UN) FIXED(fcvtzu, UN)

/* Vector three-same, two-register, compare with zero, across lanes, each 4H and 8H; by element
 * (8 or 4 lanes, index); fixed-point (#1 and #16 on 8H, #7 on 4H). */
#define VEC(op, shape)                                                                             \
    X(op##_4h, shape, #op " v0.4h, v1.4h, v2.4h") X(op##_8h, shape, #op " v0.8h, v1.8h, v2.8h")
#define VEC1(op, shape)                                                                            \
    X(op##_4h, shape, #op " v0.4h, v1.4h") X(op##_8h, shape, #op " v0.8h, v1.8h")
#define VEC0(op)                                                                                   \
    X(op##0_4h, UN, #op " v0.4h, v1.4h, #0.0") X(op##0_8h, UN, #op " v0.8h, v1.8h, #0.0")
#define ACROSS(op) X(op##_4h, BIN, #op " h0, v1.4h") X(op##_8h, BIN, #op " h0, v1.8h")
#define ELEM(op, lanes, e, shape)                                                                  \
    X(op##_##lanes##h_e##e, shape, #op " v0." #lanes "h, v1." #lanes "h, v2.h[" #e "]")
#define FIXED(op, shape)                                                                           \
    X(op##_8h1, shape, #op " v0.8h, v1.8h, #1") X(op##_8h16, shape, #op " v0.8h, v1.8h, #16")      \
    X(op##_4h7, shape, #op " v0.4h, v1.4h, #7")

#define X(name, shape, insn) FORM_CLOBBERING(form_##name, insn, "memory", "v15", "x9", "cc")
FORMS(X)
#undef X

static const struct {
    struct form form;
    int shape;
} forms[] = {
#define X(name, shape, insn) {{#name, form_##name}, shape},
    FORMS(X)
#undef X
};

/* Halves: zeros, ones, a third, a half, ties (1.5, -2.5, 1 + 2^-11 as 1 + 0x1000, 0x3c01 +
 * 0x1000), 2, 10, denormals (smallest, largest, negative, 2^-16: FRECPE's overflow edge), the
 * smallest normal, the largest, 32768 and -32800 (past int16), a value whose square underflows,
 * infinities, quiet NaNs, signalling NaNs (payloads and signs). */
static const uint16_t halves[] = {
    0x0000, 0x8000, 0x3c00, 0xbc00, 0x3555, 0x3800, 0x3e00, 0xc100, 0x3c01, 0x1000,
    0x4000, 0x4900, 0x0001, 0x83ff, 0x03ff, 0x0100, 0x0400, 0x7bff, 0xfbff, 0x7800,
    0xf801, 0x1234, 0x7c00, 0xfc00, 0x7e00, 0xfe3f, 0x7c01, 0xfd55,
};
/* Integers: 0, ±1, 65504, 65519, 65520 (rounds to 65536: overflow), 65536, ±2047, 2049 (a tie),
 * 4097, int32 and int64 edges, ±65504, ±65520, 384 and 128 (1.5 and 0.5 times 2^-24 at #32:
 * ties in the denormals), 256, 2^32 + 1; some with 16-bit lanes 2051, 2050, 4095 (ties),
 * 0x8001, 0x7fff, 0xffe0. */
static const uint64_t ints[] = {
    0, 1, -1ull, 65504, 65519, 65520, 65536, 2047, -2047ull, 2049, 4097, 0x7fffffff,
    0x80000000, 0xffffffff, 0xffffffff80000000, 0x8000000000000000, 0x7fffffffffffffff,
    -65504ull, -65520ull, 384, 128, 256, 0x100000001, 0x7fff800108020803, 0x10010fff0ffe0801,
    0xffe00000, 0x00ffffff,
};
#define NH (sizeof halves / sizeof halves[0])
#define NI (sizeof ints / sizeof ints[0])
#define H(k) halves[(k) % NH]

static uint64_t pack4(uint16_t a, uint16_t b, uint16_t c, uint16_t d) {
    return a | (uint64_t)b << 16 | (uint64_t)c << 32 | (uint64_t)d << 48;
}

/* Lanes x, y, y, x, y, x, x, y: each lane and each pair of lanes sees both orders. */
static v128 two(uint16_t x, uint16_t y) { return (v128){pack4(x, y, y, x), pack4(y, x, x, y)}; }

/* Runs form `f` under the current FPCR over the operands of its shape, folding the results into
 * `digest` and `flags` and printing them (some of them) if `show`. V1 and V2 hold halves[i] and
 * halves[j] (V2 the other way round: see two()); V0 halves[a] (TRI) or eight halves whose
 * remains must go (the result of a scalar or 4H form). INT: V1 holds ints[i] and ints[j]. UN and
 * INT take a quarter of the pairs (every i), TRI a fifth of the triples. */
static void run_all(int f, int show, uint64_t *digest, uint64_t *flags) {
    int shape = forms[f].shape & 3;
    unsigned nij = shape == INT ? NI : NH, na = shape == TRI ? NH : 1, count = 0;
    unsigned thin = shape == TRI ? 5 : shape == BIN ? 1 : 4, stride = shape == TRI ? 37 : 9;
    for (unsigned a = 0; a < na; a++)
        for (unsigned i = 0; i < nij; i++)
            for (unsigned j = 0; j < nij; j++) {
                if ((a + i + j) % thin != 0)
                    continue;
                unsigned k = i + 2 * j + 1;
                v128 d = {pack4(H(k), H(k + 1), H(k + 2), H(k + 3)),
                          pack4(H(k + 4), H(k + 5), H(k + 6), H(k + 7))};
                v128 n = two(H(i), H(j)), m = two(H(j), H(i));
                if (shape == TRI)
                    d = two(H(a), H(a));
                if (shape == INT)
                    n = (v128){ints[i], ints[j]};
                uint64_t fpsr;
                v128 r = run_form(&forms[f].form, d, n, m, &fpsr, digest, flags);
                if (!show || (shape == UN || shape == INT ? j >= thin : count++ % stride != 0))
                    continue;
                char ops[40];
                if (shape == INT)
                    snprintf(ops, sizeof ops, "%016llx", (unsigned long long)ints[i]);
                else if (shape == UN)
                    snprintf(ops, sizeof ops, "%04x", H(i));
                else if (shape == BIN)
                    snprintf(ops, sizeof ops, "%04x %04x", H(i), H(j));
                else
                    snprintf(ops, sizeof ops, "%04x %04x %04x", H(a), H(i), H(j));
                show_form(&forms[f].form, ops, r, fpsr);
            }
}

int main(void) {
    unsigned long hwcap = getauxval(AT_HWCAP);
    printf("hwcap fphp: %d\n", (hwcap & HWCAP_FPHP) != 0);
    printf("hwcap asimdhp: %d\n", (hwcap & HWCAP_ASIMDHP) != 0);
    /* FPCR: RN, DN, FZ16, FZ, AHP, RP, RM, RZ, DN+FZ16+RZ. */
    const uint64_t fpcrs[] = {0, 1 << 25, 1 << 19, 1 << 24, 1 << 26, 1 << 22, 2 << 22, 3 << 22,
                              1 << 25 | 1 << 19 | 3 << 22};
    printf("form: digest/flags under fpcr");
    for (unsigned c = 0; c < sizeof fpcrs / sizeof fpcrs[0]; c++)
        printf(" %08llx", (unsigned long long)fpcrs[c]);
    printf("\n");
    for (unsigned f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        char line[200];
        int len = snprintf(line, sizeof line, "%s:", forms[f].form.name);
        for (unsigned c = 0; c < sizeof fpcrs / sizeof fpcrs[0]; c++) {
            uint64_t digest = 0, flags = 0;
            set_fpcr(fpcrs[c]);
            run_all(f, c == 0 && forms[f].shape & SHOW, &digest, &flags);
            set_fpcr(0);
            len += snprintf(line + len, sizeof line - len, " %08x/%02llx",
                            (uint32_t)(digest ^ digest >> 32), (unsigned long long)flags);
        }
        puts(line);
    }
    return 0;
}
