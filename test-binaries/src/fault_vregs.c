/* Precise fault contexts for the V registers: a block computes vector and scalar FP values
 * into v0..v7 (which a translator may hold in host registers until the block's exit), then a
 * memory instruction faults; a vectorised loop accumulates into v1 and v2 until its load runs
 * into a guard page (with two general registers it reads and writes). The SIGSEGV handler
 * prints the V registers of the signal frame's
 * fpsimd_context, skips the instruction (and ends the loop), and the code then stores its V
 * registers, so the values after the fault are checked too. Must match qemu-aarch64. */
//@ aarch64-only
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define FPSIMD_MAGIC 0x46508001

struct fpsimd {
    uint32_t magic, size, fpsr, fpcr;
    __uint128_t v[32];
};

static uint64_t expect_pc;
static char *base_addr;
/* Where the loop's counter must go to end it after the skipped load. */
static uint64_t loop_end;

static void show_v(const char *what, const __uint128_t *v) {
    printf("  %s:", what);
    for (int i = 0; i < 8; i++)
        printf(" v%d=%016llx%016llx", i, (unsigned long long)(v[i] >> 64), (unsigned long long)v[i]);
    printf("\n");
}

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    mcontext_t *mc = &uc->uc_mcontext;
    printf("  signal %d code %d addr base%+ld pc %s\n", sig, si->si_code,
           (long)((char *)si->si_addr - base_addr), mc->pc == expect_pc ? "at the instruction" : "ELSEWHERE");
    struct fpsimd *fp = (struct fpsimd *)mc->__reserved;
    if (fp->magic != FPSIMD_MAGIC) {
        printf("  no fpsimd_context\n");
    } else {
        show_v("in the handler", fp->v);
        printf("  fpsr %x\n", fp->fpsr);
    }
    mc->pc += 4;
    if (loop_end) {
        /* The loop's counter (which the loop reads and writes) and its other registers. */
        printf("  x20 %llu x21 base%+ld x22 %llu x23 %llu\n", (unsigned long long)mc->regs[20],
               (long)((char *)mc->regs[21] - base_addr), (unsigned long long)mc->regs[22],
               (unsigned long long)mc->regs[23]);
        mc->regs[20] = loop_end - 16;
    }
}

static __uint128_t after[8];

/* v0..v7 from x0 (a seed): integer and FP vector operations, scalar FP, lane moves; then INSN
 * (label 1:) with x19 = the bad address; then v0..v7 stored to `after`. */
#define PROBE(name, insn)                                                                           \
    static void name(char *bad, uint64_t seed) {                                                    \
        uint64_t pc;                                                                                \
        asm volatile("adr %0, 1f\n" : "=r"(pc));                                                    \
        expect_pc = pc;                                                                             \
        asm volatile("mov x19, %0\n"                                                                \
                     "mov x0, %1\n"                                                                 \
                     "dup v0.2d, x0\n"                                                              \
                     "add v1.4s, v0.4s, v0.4s\n"                                                    \
                     "eor v2.16b, v1.16b, v0.16b\n"                                                 \
                     "scvtf d3, x0\n"                                                               \
                     "fmul d4, d3, d3\n"                                                            \
                     "fadd d5, d4, d3\n"                                                            \
                     "ucvtf v6.2d, v2.2d\n"                                                         \
                     "fsqrt v6.2d, v6.2d\n"                                                         \
                     "mov v7.d[1], x0\n"                                                            \
                     "fdiv d7, d5, d3\n"                                                            \
                     "fmadd d3, d4, d5, d3\n"                                                       \
                     "shl v0.4s, v1.4s, #3\n"                                                       \
                     "1: " insn "\n"                                                                \
                     "stp q0, q1, [%2]\n"                                                           \
                     "stp q2, q3, [%2, #32]\n"                                                      \
                     "stp q4, q5, [%2, #64]\n"                                                      \
                     "stp q6, q7, [%2, #96]\n"                                                      \
                     :                                                                              \
                     : "r"(bad), "r"(seed), "r"(after)                                              \
                     : "x0", "x19", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "memory", "cc"); \
    }

PROBE(probe_ldr_x, "ldr x2, [x19, #8]")
PROBE(probe_ldr_q, "ldr q1, [x19]")
PROBE(probe_ldp_q, "ldp q2, q5, [x19]")
PROBE(probe_str_d, "str d4, [x19, #16]")
PROBE(probe_st1, "st1 {v0.16b, v1.16b}, [x19]")

/* A vectorised loop: v1 += the doubles loaded, v2 += v3 (integers), until the load at x21 + x20
 * reaches the guard page after `n` bytes. */
static void probe_loop(char *data, uint64_t n, uint64_t seed) {
    uint64_t pc;
    asm volatile("adr %0, 1f\n" : "=r"(pc));
    expect_pc = pc;
    loop_end = n + 64;
    asm volatile("mov x21, %0\n"
                 "mov x22, %1\n"
                 "mov x20, #0\n"
                 "mov x23, #7\n"
                 "dup v3.4s, %w2\n"
                 "movi v1.2d, #0\n"
                 "movi v2.2d, #0\n"
                 "fmov d4, #0.5\n"
                 "0:\n"
                 "1: ldr q0, [x21, x20]\n"
                 "fadd v1.2d, v1.2d, v0.2d\n"
                 "add v2.4s, v2.4s, v3.4s\n"
                 "fmul d4, d4, d4\n"
                 "add x20, x20, #16\n"
                 "add x23, x23, x20\n"
                 "cmp x20, x22\n"
                 "b.ne 0b\n"
                 "stp q0, q1, [%3]\n"
                 "stp q2, q3, [%3, #32]\n"
                 "str q4, [%3, #64]\n"
                 "str x23, [%3, #80]\n"
                 :
                 : "r"(data), "r"(n + 64), "r"(seed), "r"(after)
                 : "x20", "x21", "x22", "x23", "v0", "v1", "v2", "v3", "v4", "memory", "cc");
    loop_end = 0;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    long page = sysconf(_SC_PAGESIZE);
    char *none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct {
        const char *name;
        void (*fn)(char *, uint64_t);
        char *bad;
    } probes[] = {
        {"ldr x", probe_ldr_x, none}, {"ldr q", probe_ldr_q, none}, {"ldp q", probe_ldp_q, none},
        {"str d to read-only", probe_str_d, ro}, {"st1 two registers", probe_st1, ro},
    };
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        for (uint64_t seed = 3; seed < 1000000; seed *= 977) {
            base_addr = probes[i].bad;
            printf("%s, seed %llu:\n", probes[i].name, (unsigned long long)seed);
            memset(after, 0, sizeof after);
            probes[i].fn(probes[i].bad, seed);
            show_v("after", after);
        }
    }
    /* The loop: 4096 bytes of doubles in a page followed by a guard page. */
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(two + page, page, PROT_NONE);
    double *d = (double *)two;
    for (unsigned i = 0; i < page / sizeof(double); i++)
        d[i] = (double)(i % 7) + 0.25;
    for (uint64_t seed = 5; seed < 100000; seed *= 31) {
        base_addr = two + page;
        printf("loop, seed %llu:\n", (unsigned long long)seed);
        memset(after, 0, sizeof after);
        probe_loop(two, page, seed);
        show_v("after", after);
    }
    return 0;
}
