//@ aarch64-only
/* FPCR.FZ per thread, set while FP code already runs hot: a64x makes code without the checks of
 * FZ until a thread sets it (CodeCache::omit_fz_checks), then that thread's code again with them;
 * translations are shared between threads, but not between code with the checks and without.
 * The same loop of products with denormal results runs in the main thread before, during and
 * after a thread with FZ set runs it, then in the main thread with FZ set (by MSR in the block
 * that computes, and by a signal handler's return with FZ in the context it restores).
 * Compared with qemu-aarch64. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <ucontext.h>

#define FZ (1ull << 24)

/* Read anew at each call, so that no call of `work` is folded into another. */
static volatile double seed = 0x1p-1060;

static uint64_t get_fpcr(void) {
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}

static void set_fpcr(uint64_t v) {
    __asm__ volatile("msr fpcr, %0" : : "r"(v));
}

/* Sums of products whose results are denormal: zero under FZ. */
__attribute__((noinline)) static double work(double x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
        s += x * 0.5;
        x = x * 0.999;
    }
    return s;
}

/* The same with FZ set by MSR right before, in the block that computes. */
__attribute__((noinline)) static double work_fz(double x, uint64_t fpcr) {
    double y;
    __asm__ volatile("msr fpcr, %2\n\tfmul %d0, %d1, %d1" : "=w"(y) : "w"(x), "r"(fpcr));
    return y;
}

static void *worker(void *arg) {
    set_fpcr(get_fpcr() | FZ);
    *(double *)arg = work(seed, 20000);
    return 0;
}

/* A handler that returns with FZ set in the FPCR the sigreturn restores. */
static void set_fz_on_return(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    struct _aarch64_ctx *h = (struct _aarch64_ctx *)uc->uc_mcontext.__reserved;
    for (; h->magic != 0; h = (struct _aarch64_ctx *)((char *)h + h->size)) {
        if (h->magic == FPSIMD_MAGIC) {
            ((struct fpsimd_context *)h)->fpcr |= FZ;
        }
    }
}

int main(void) {
    uint64_t base = get_fpcr();
    double before = work(seed, 20000);
    pthread_t t;
    double in_thread = -1;
    pthread_create(&t, 0, worker, &in_thread);
    double during = work(seed, 20000);
    pthread_join(t, 0);
    double after = work(seed, 20000);
    printf("without FZ %a %a %a, in a thread with FZ %a\n", before, during, after, in_thread);
    printf("MSR in the block: %a then %a\n", work_fz(0x1p-520, base | FZ), work_fz(0x1p-520, base));

    struct sigaction sa = {0};
    sa.sa_sigaction = set_fz_on_return;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    set_fpcr(base);
    raise(SIGUSR1);
    uint64_t fpcr = get_fpcr();
    double with_fz = work(seed, 20000);
    set_fpcr(base);
    printf("after a sigreturn: fz %d, %a; cleared again: %a\n", (int)(fpcr >> 24 & 1), with_fz,
           work(seed, 20000));
    return 0;
}
