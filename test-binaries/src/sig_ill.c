// Signals raised by instructions: SIGILL from an undefined instruction and SIGTRAP from BRK, with
// SA_SIGINFO handlers that check si_code/si_addr and change the interrupted context (pc to skip
// the instruction, x0, the Z flag and v1) before returning through rt_sigreturn.
//@ aarch64-only
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <asm/sigcontext.h>

static volatile int ill_count, trap_count;
static volatile int addr_ok, code_ok, fp_found, mask_ok;

static struct fpsimd_context *find_fpsimd(ucontext_t *uc) {
    unsigned char *p = (unsigned char *)uc->uc_mcontext.__reserved;
    for (;;) {
        struct _aarch64_ctx *h = (struct _aarch64_ctx *)p;
        if (h->magic == 0 || h->size == 0)
            return NULL;
        if (h->magic == FPSIMD_MAGIC)
            return (struct fpsimd_context *)h;
        p += h->size;
    }
}

static void on_ill(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    ill_count++;
    // The kernel says ILL_ILLOPC for UDF, qemu ILL_ILLOPN: only check that the kernel sent it.
    code_ok = sig == SIGILL && si->si_signo == SIGILL && si->si_code > 0;
    addr_ok = (uint64_t)si->si_addr == uc->uc_mcontext.pc;
    uint32_t insn = *(uint32_t *)uc->uc_mcontext.pc;
    if (insn == 0) {
        // The test sequence: return 42 in x0 and clear Z. (v1 is only read: qemu, whose CPU has
        // SVE, restores vector registers from its SVE record rather than this one.)
        uc->uc_mcontext.regs[0] = 42;
        uc->uc_mcontext.pstate &= ~(1ull << 30);
        struct fpsimd_context *fp = find_fpsimd(uc);
        if (fp && fp->head.size == sizeof *fp)
            fp_found = fp->vregs[1] == (((__uint128_t)5 << 64) | 7) ? 2 : 1;
    }
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    mask_ok = sigismember(&cur, SIGILL) && !sigismember(&cur, SIGTRAP);
    uc->uc_mcontext.pc += 4;
}

static void on_trap(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    trap_count++;
    printf("SIGTRAP: sig %d si_code %d addr matches pc %d\n", sig, si->si_code,
           (uint64_t)si->si_addr == uc->uc_mcontext.pc);
    uc->uc_mcontext.regs[1] = uc->uc_mcontext.regs[1] * 3;
    uc->uc_mcontext.pc += 4;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_ill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    sa.sa_sigaction = on_trap;
    sigaction(SIGTRAP, &sa, NULL);

    uint64_t x0, zset, lo, hi;
    asm volatile("mov x0, #1\n\t"
                 "mov x2, #7\n\t"
                 "mov x3, #5\n\t"
                 "ins v1.d[0], x2\n\t"
                 "ins v1.d[1], x3\n\t"
                 "cmp x0, x0\n\t"
                 ".inst 0x00000000\n\t"
                 "cset %1, eq\n\t"
                 "mov %0, x0\n\t"
                 "umov %2, v1.d[0]\n\t"
                 "umov %3, v1.d[1]\n\t"
                 : "=r"(x0), "=r"(zset), "=r"(lo), "=r"(hi)
                 :
                 : "x0", "x2", "x3", "v1", "cc");
    printf("SIGILL: count %d code ok %d addr ok %d mask ok %d\n", ill_count, code_ok, addr_ok, mask_ok);
    printf("after handler: x0 = %llu, Z = %llu, fpsimd record %d (2: v1 saved), v1 = %llu:%llu\n", (unsigned long long)x0,
           (unsigned long long)zset, fp_found, (unsigned long long)hi, (unsigned long long)lo);

    uint64_t v = 5;
    asm volatile("mov x1, %1\n\t"
                 "brk #0x7\n\t"
                 "mov %0, x1\n\t"
                 : "=r"(v)
                 : "r"(v)
                 : "x1");
    printf("after BRK: x1 = %llu, traps %d\n", (unsigned long long)v, trap_count);

    // Several in a loop: the handler returns into translated code each time.
    int n = 0;
    for (int i = 0; i < 100; i++) {
        asm volatile(".inst 0x00000000" ::: "x0", "cc", "v1", "memory");
        n++;
    }
    printf("loop: %d iterations, %d SIGILLs\n", n, ill_count);

    return 0;
}
