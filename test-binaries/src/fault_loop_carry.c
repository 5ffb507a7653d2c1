/* Precise fault contexts for what a loop carries from one iteration to the next without
 * storing it: registers the loop writes without reading them, and its flags. Four loops (flags
 * of a 64-bit subtraction, a 64-bit logical op and a 32-bit addition; a branch inside the loop)
 * load a byte per iteration
 * until the load runs into a guard page: in the first iteration (the registers and flags are
 * then those from before the loop, set to telling values), the second (a translator may run the
 * first iteration in the block before the loop), or a later one (those the previous iteration
 * left), or not at all. The counter starts just below 2^63 and crosses it
 * (and 2^32) early, so that the first iterations' flags differ from the later ones'. The
 * SIGSEGV handler prints the registers and NZCV of the signal frame, skips the load and ends the
 * loop; after the loop the code stores its registers and flags, so the values the loop's exits
 * write are checked too. Must match qemu-aarch64. */
//@ aarch64-only
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static uint64_t expect_pc;
static char *guard;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    mcontext_t *mc = &uc->uc_mcontext;
    printf("  signal %d addr guard%+ld pc %s\n", sig, (long)((char *)si->si_addr - guard),
           mc->pc == expect_pc ? "at the load" : "ELSEWHERE");
    printf("  x20 %#llx x24 %#llx x25 %#llx x26 %#llx nzcv %llx\n", (unsigned long long)mc->regs[20],
           (unsigned long long)mc->regs[24], (unsigned long long)mc->regs[25],
           (unsigned long long)mc->regs[26], (unsigned long long)(mc->pstate >> 28) & 15);
    mc->pc += 4;
    /* The next iteration's counter is the last. */
    mc->regs[20] = mc->regs[22] - 1;
}

/* out: x20, x24, x25, x26, NZCV after the loop. */
static uint64_t out[5];

/* The counter's first value: 64 below 2^63. */
#define START 0x7fffffffffffffc0ull

/* Loop `body` (which ends in the instruction that sets the flags for its `b.ne`) over the bytes
 * at data + x20 - START for x20 = START .. x22 - 1, x22 = START + n; x27 = -x22. Before it: x24,
 * x25, x26 and the flags (N clear, Z, C and V set: 0x8000000000000000 + 0x8000000000000000)
 * hold values no iteration makes. */
#define LOOP(name, body)                                                                            \
    static void name(char *data, uint64_t n) {                                                     \
        uint64_t pc;                                                                               \
        asm volatile("adr %0, 1f\n" : "=r"(pc));                                                   \
        expect_pc = pc;                                                                            \
        asm volatile("mov x20, %3\n"                                                               \
                     "sub x21, %0, x20\n"                                                          \
                     "add x22, x20, %1\n"                                                          \
                     "neg x27, x22\n"                                                              \
                     "mov x24, #0x2424\n"                                                          \
                     "mov x25, #0x2525\n"                                                          \
                     "mov x26, #0x2626\n"                                                          \
                     "mov x9, #0x8000000000000000\n"                                               \
                     "adds xzr, x9, x9\n"                                                          \
                     "0:\n"                                                                        \
                     "1: ldrb w24, [x21, x20]\n" body "b.ne 0b\n"                                  \
                     "mrs x9, nzcv\n"                                                              \
                     "stp x20, x24, [%2]\n"                                                        \
                     "stp x25, x26, [%2, #16]\n"                                                   \
                     "str x9, [%2, #32]\n"                                                         \
                     :                                                                             \
                     : "r"(data), "r"(n), "r"(out), "r"(START)                                               \
                     : "x9", "x20", "x21", "x22", "x24", "x25", "x26", "x27", "memory", "cc");     \
    }

/* Flags of a 64-bit subtraction; x25 written, not read. */
LOOP(loop_sub, "eor x25, x24, x20\n"
               "add x20, x20, #1\n"
               "cmp x20, x22\n")
/* Flags of a 64-bit logical op; x25 and x26 written, not read. */
LOOP(loop_logic, "add x20, x20, #1\n"
                 "add x25, x24, x24\n"
                 "eor x26, x20, x22\n"
                 "tst x26, x26\n")
/* Flags of a 32-bit addition, its result written, not read. */
LOOP(loop_add, "add x20, x20, #1\n"
               "orr x25, x24, #0x100\n"
               "adds w26, w20, w27\n")
/* A branch inside the loop (a translator's side exit out of the loop's block, taken for even
 * bytes): x25 read and written after it, the counter and flags before and after it. */
LOOP(loop_branch, "tbz w24, #0, 2f\n"
                  "add x25, x25, x24\n"
                  "2: add x20, x20, #1\n"
                  "cmp x20, x22\n")

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    long page = sysconf(_SC_PAGESIZE);
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (long i = 0; i < page; i++)
        two[i] = (char)(i * 37 + 11);
    mprotect(two + page, page, PROT_NONE);
    guard = two + page;
    struct {
        const char *name;
        void (*fn)(char *, uint64_t);
    } loops[] = {{"sub", loop_sub}, {"logic", loop_logic}, {"add", loop_add}, {"branch", loop_branch}};
    struct {
        const char *name;
        long start;
    } runs[] = {{"fault in the first iteration", 0},
                {"fault in the second", -1},
                {"fault in the 100th", -99},
                {"no fault", -page}};
    for (unsigned i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        /* Unchecked runs first, so that a translator that makes a loop's block better once it
         * ran often (a64x's optimised tier: after HOT_VISITS, 4096 runs of the block) is
         * checked on that. */
        for (int k = 0; k < 25; k++)
            loops[i].fn(guard - page, 200);
        for (unsigned j = 0; j < sizeof runs / sizeof runs[0]; j++) {
            printf("%s, %s:\n", loops[i].name, runs[j].name);
            memset(out, 0, sizeof out);
            loops[i].fn(guard + runs[j].start, 200);
            printf("  after: x20 %#llx x24 %#llx x25 %#llx x26 %#llx nzcv %llx\n",
                   (unsigned long long)out[0], (unsigned long long)out[1], (unsigned long long)out[2],
                   (unsigned long long)out[3], (unsigned long long)(out[4] >> 28) & 15);
        }
    }
    return 0;
}
