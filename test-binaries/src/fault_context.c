/* Precise fault contexts: each probe computes values into x0..x15 and the flags within one basic
 * block, then a memory instruction faults (load, pre-index store, post-index pair load, LSE
 * atomic, vector structure load, load-exclusive, store to a read-only page; and with SP as the
 * base, SP at an unmapped page and x30 written in the block: the two registers a64x keeps in host
 * registers across blocks). The SIGSEGV handler
 * prints what the ucontext says (pc relative to the faulting instruction, x0..x19, NZCV,
 * si_addr, si_code), then skips the instruction (pc += 4) and returns; the probe then stores its
 * registers, so the run after the fault is checked too (a writeback must not have happened).
 * Must match qemu-aarch64, whose contexts are exact. */
//@ aarch64-only
//@ cflags: -march=armv8.1-a
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static uint64_t expect_pc;
static char *base_addr;
static int sp_probe;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    mcontext_t *mc = &uc->uc_mcontext;
    printf("  signal %d code %d addr base%+ld pc %s", sig, si->si_code, (long)((char *)si->si_addr - base_addr),
           mc->pc == expect_pc ? "at the instruction" : "ELSEWHERE");
    printf(" nzcv %llx\n   ", (unsigned long long)(mc->pstate >> 28) & 0xf);
    for (int i = 0; i < 20; i++) {
        if (i == 17 || i == 18) /* scratch of libc and the compiler: may hold addresses, which differ between VMs */
            continue;
        if (sp_probe && i > 2) /* only x0..x2 are the probe's (the others hold what the caller left) */
            break;
        if (i == 19)
            printf(" x19 base%+ld", (long)((char *)mc->regs[19] - base_addr));
        else
            printf(" x%d=%llx", i, (unsigned long long)mc->regs[i]);
    }
    if (sp_probe) /* SP at the bad base, x30 computed: the registers a64x keeps in host registers */
        printf(" x30=%llx sp base%+ld", (unsigned long long)mc->regs[30], (long)((char *)mc->sp - base_addr));
    printf("\n");
    mc->pc += 4;
}

/* Registers after the probe resumed. */
static uint64_t after[20];

static void show_after(void) {
    printf("  after:");
    if (sp_probe) { /* x0..x2, x30, SP's offset from the bad base */
        for (int i = 0; i < 3; i++)
            printf(" x%d=%llx", i, (unsigned long long)after[i]);
        printf(" x30=%llx sp base%+ld\n", (unsigned long long)after[17], (long)after[19]);
        return;
    }
    for (int i = 0; i < 20; i++) {
        if (i == 19)
            printf(" x19 base%+ld", (long)((char *)after[19] - base_addr));
        else
            printf(" x%d=%llx", i, (unsigned long long)after[i]);
    }
    printf("\n");
}

/* Compute x0..x15 from `seed` (each from the one before, so nothing is constant-folded), set
 * the flags with a compare, run INSN (label 1:) with x19 = the bad base, store x0..x19. */
#define PROBE(name, insn)                                                                           \
    static void name(char *bad, uint64_t seed) {                                                    \
        uint64_t pc;                                                                                \
        asm volatile("adr %0, 1f\n" : "=r"(pc));                                                    \
        expect_pc = pc;                                                                             \
        asm volatile("mov x19, %0\n"                                                                \
                     "mov x0, %1\n"                                                                 \
                     "add x1, x0, #3\n"                                                             \
                     "eor x2, x1, x0, lsl #7\n"                                                     \
                     "mul x3, x2, x1\n"                                                             \
                     "sub x4, x3, #17\n"                                                            \
                     "lsr x5, x4, #3\n"                                                             \
                     "orr x6, x5, #0xff00\n"                                                        \
                     "add x7, x6, x0\n"                                                             \
                     "neg x8, x7\n"                                                                 \
                     "add x9, x8, x2\n"                                                             \
                     "ror x10, x9, #13\n"                                                           \
                     "add x11, x10, #1\n"                                                           \
                     "bic x12, x11, x3\n"                                                           \
                     "add x13, x12, x4\n"                                                           \
                     "eor x14, x13, x5\n"                                                           \
                     "add x15, x14, x6\n"                                                           \
                     "cmp x1, x2\n"                                                                 \
                     "1: " insn "\n"                                                                \
                     "adr x16, %2\n"                                                                \
                     "stp x0, x1, [x16]\n"                                                          \
                     "stp x2, x3, [x16, #16]\n"                                                     \
                     "stp x4, x5, [x16, #32]\n"                                                     \
                     "stp x6, x7, [x16, #48]\n"                                                     \
                     "stp x8, x9, [x16, #64]\n"                                                     \
                     "stp x10, x11, [x16, #80]\n"                                                   \
                     "stp x12, x13, [x16, #96]\n"                                                   \
                     "stp x14, x15, [x16, #112]\n"                                                  \
                     "str x19, [x16, #152]\n"                                                       \
                     :                                                                              \
                     : "r"(bad), "r"(seed), "S"(after)                                              \
                     : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",    \
                       "x12", "x13", "x14", "x15", "x16", "x19", "v0", "v1", "memory", "cc");       \
    }

/* The same with SP as the base register (SP at the bad base, the handler on an alternate stack)
 * and x30 written in the block before the fault; after the fault SP and x30 are stored too. */
#define PROBE_SP(name, insn)                                                                        \
    static void name(char *bad, uint64_t seed) {                                                    \
        uint64_t pc;                                                                                \
        asm volatile("adr %0, 1f\n" : "=r"(pc));                                                    \
        expect_pc = pc;                                                                             \
        asm volatile("mov x19, %0\n"                                                                \
                     "mov x0, %1\n"                                                                 \
                     "add x30, x0, #77\n"                                                           \
                     "eor x1, x30, x0, lsl #9\n"                                                    \
                     "mul x2, x1, x30\n"                                                            \
                     "mov x20, sp\n"                                                                \
                     "mov sp, x19\n"                                                                \
                     "cmp x1, x2\n"                                                                 \
                     "1: " insn "\n"                                                                \
                     "mov x21, sp\n"                                                                \
                     "mov sp, x20\n"                                                                \
                     "adr x16, %2\n"                                                                \
                     "stp x0, x1, [x16]\n"                                                          \
                     "stp x2, x3, [x16, #16]\n"                                                     \
                     "stp x4, x5, [x16, #32]\n"                                                     \
                     "str x30, [x16, #136]\n"                                                       \
                     "sub x21, x21, x19\n"                                                          \
                     "str x21, [x16, #152]\n"                                                       \
                     :                                                                              \
                     : "r"(bad), "r"(seed), "S"(after)                                              \
                     : "x0", "x1", "x2", "x3", "x4", "x5", "x16", "x19", "x20", "x21", "x30",       \
                       "memory", "cc");                                                             \
    }

PROBE(probe_ldr, "ldr x2, [x19, #8]")
PROBE(probe_str_pre, "str x3, [x19, #16]!")
PROBE(probe_ldp_post, "ldp x4, x5, [x19], #32")
PROBE(probe_ldadd, "ldadd x6, x7, [x19]")
PROBE(probe_ld1, "ld1 {v0.16b, v1.16b}, [x19], #32")
PROBE(probe_ldxr, "ldxr x8, [x19]")
PROBE(probe_strb, "strb w9, [x19, #5]")
PROBE_SP(probe_sp_ldr, "ldr x3, [sp, #8]")
PROBE_SP(probe_sp_str_pre, "str x3, [sp, #-16]!")
PROBE_SP(probe_sp_ldp_post, "ldp x4, x5, [sp], #32")

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    long page = sysconf(_SC_PAGESIZE);
    char *none = mmap(NULL, 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct {
        const char *name;
        void (*fn)(char *, uint64_t);
        char *bad;
    } probes[] = {
        {"ldr", probe_ldr, none},       {"str pre-index", probe_str_pre, none},
        {"ldp post-index", probe_ldp_post, none}, {"ldadd", probe_ldadd, none},
        {"ld1 post-index", probe_ld1, none}, {"ldxr", probe_ldxr, none},
        {"strb to read-only", probe_strb, ro},
        {"ldr from SP", probe_sp_ldr, none},
        {"str pre-index SP", probe_sp_str_pre, none + 64},
        {"ldp post-index SP", probe_sp_ldp_post, none},
    };
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        for (uint64_t seed = 1; seed < 1000000; seed *= 977) {
            base_addr = probes[i].bad;
            sp_probe = strstr(probes[i].name, "SP") != NULL;
            memset(after, 0, sizeof after);
            printf("%s, seed %llu:\n", probes[i].name, (unsigned long long)seed);
            probes[i].fn(probes[i].bad, seed);
            show_after();
        }
    }
    return 0;
}
