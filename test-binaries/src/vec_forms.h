/* What the FP vector-instruction test programs share (fhm.c, bf16.c, fp16.c): a 128-bit value,
 * FPCR and FPSR access, and FORM(name, insn), a function that runs one instruction on V0 (the
 * destination, loaded first), V1 and V2 and returns V0 and the FPSR flags it raised. */
#include <stdint.h>
#include <stdio.h>

typedef struct {
    uint64_t lo, hi;
} v128;

static uint64_t get_fpsr(void) { uint64_t v; asm volatile("mrs %0, fpsr" : "=r"(v)); return v; }
static void set_fpsr(uint64_t v) { asm volatile("msr fpsr, %0" : : "r"(v)); }
static void set_fpcr(uint64_t v) { asm volatile("msr fpcr, %0" : : "r"(v)); }

#define FORM(name, insn) FORM_CLOBBERING(name, insn, "memory")

/* FORM whose instruction also clobbers what the arguments after `insn` name (at least "memory"). */
#define FORM_CLOBBERING(name, insn, ...)                                                        \
    static v128 name(v128 d, v128 n, v128 m, uint64_t *fpsr) {                                  \
        set_fpsr(0);                                                                            \
        asm volatile("ldr q0, [%0]\n ldr q1, [%1]\n ldr q2, [%2]\n " insn "\n str q0, [%0]"     \
                     : : "r"(&d), "r"(&n), "r"(&m) : "v0", "v1", "v2", __VA_ARGS__);             \
        *fpsr = get_fpsr();                                                                     \
        return d;                                                                               \
    }

typedef v128 (*form_fn)(v128, v128, v128, uint64_t *);

/* One instruction of a table of forms. */
struct form {
    const char *name;
    form_fn f;
};

/* Run `form` and fold its result and flags into `digest` and `flags`. */
static v128 run_form(const struct form *form, v128 d, v128 n, v128 m, uint64_t *fpsr, uint64_t *digest,
                     uint64_t *flags) {
    v128 r = form->f(d, n, m, fpsr);
    *digest = (*digest ^ r.lo) * 0x100000001b3ull ^ r.hi;
    *digest = *digest * 31 + *fpsr;
    *flags |= *fpsr;
    return r;
}

/* "NAME OPERANDS -> RESULT fpsr FLAGS". */
static void show_form(const struct form *form, const char *operands, v128 r, uint64_t fpsr) {
    printf("%s %s -> %016llx %016llx fpsr %02llx\n", form->name, operands, (unsigned long long)r.hi,
           (unsigned long long)r.lo, (unsigned long long)fpsr);
}
