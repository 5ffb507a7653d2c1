// Calls and returns that do not pair up, which any prediction of returns (a return-address
// stack, the jump cache) must get right: a return that skips a frame, RET through another
// register, BL used as a jump (calls never returned from), recursion 100,000 deep, longjmp out
// of deep recursion and calls after it, returns to address 0 right after entering translated
// code, from deep recursion and right after a call, and RET to a known address inside the
// block that called. Every return must go where the guest's register says; compared with qemu.
//@ aarch64-only
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

uint64_t skip_ret(void);
uint64_t ret_via(void);
uint64_t bl_loop(uint64_t n);
void ret_to_zero_fresh(void);
void ret_to(uint64_t addr);

asm(".text\n"
    // Calls `1f`, which returns straight to skip_ret's caller: its own frame is not taken.
    ".global skip_ret\n"
    "skip_ret:\n"
    "  mov x9, x30\n"
    "  bl 1f\n"
    "  mov x0, #111\n"
    "  ret\n"
    "1: mov x0, #222\n"
    "  mov x30, x9\n"
    "  ret\n"
    // RET through x5 to a label of its own, then a plain return.
    ".global ret_via\n"
    "ret_via:\n"
    "  adr x5, 2f\n"
    "  mov x0, #5\n"
    "  ret x5\n"
    "  mov x0, #6\n"
    "2: add x0, x0, #1\n"
    "  ret\n"
    // BL as a jump, n times: n calls, none returned from.
    ".global bl_loop\n"
    "bl_loop:\n"
    "  mov x9, x30\n"
    "3: subs x0, x0, #1\n"
    "  b.eq 4f\n"
    "  bl 3b\n"
    "4: mov x30, x9\n"
    "  mov x0, #77\n"
    "  ret\n"
    // A system call (translated code is left and entered again), then RET to 0.
    ".global ret_to_zero_fresh\n"
    "ret_to_zero_fresh:\n"
    "  mov x8, #172\n"
    "  svc #0\n"
    "  mov x30, #0\n"
    "  ret\n"
    ".global ret_to\n"
    "ret_to:\n"
    "  mov x30, x0\n"
    "  ret\n"
    // BR to an address loaded from memory: an indirect branch whatever the translator knows.
    ".global br_loaded\n"
    "br_loaded:\n"
    "  ldr x1, [x0]\n"
    "  br x1\n");

void br_loaded(const uint64_t *target);

static sigjmp_buf back;
static volatile int quiet, faults;

static void on_fault(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    faults++;
    if (!quiet)
        printf("  signal %d code %d addr %#lx pc %#llx\n", sig, si->si_code, (unsigned long)si->si_addr,
           (unsigned long long)uc->uc_mcontext.pc);
    siglongjmp(back, 1);
}

static __attribute__((noinline)) uint64_t depth(uint64_t n) {
    if (n == 0)
        return 1;
    return depth(n - 1) * 3 + n;
}

static jmp_buf out;

static __attribute__((noinline)) void dive(unsigned n) {
    if (n == 0)
        longjmp(out, 7);
    dive(n - 1);
    asm volatile("" ::: "memory");
}

static __attribute__((noinline)) uint64_t after_jump(unsigned n) {
    return n < 2 ? n : after_jump(n - 1) + after_jump(n - 2);
}

static __attribute__((noinline)) void ret_to_zero_deep(unsigned n) {
    if (n == 0)
        ret_to(0);
    ret_to_zero_deep(n - 1);
    asm volatile("" ::: "memory");
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    uint64_t sum = 0;
    for (int i = 0; i < 1000; i++)
        sum += skip_ret();
    printf("skip_ret: %llu\n", (unsigned long long)sum);
    sum = 0;
    for (int i = 0; i < 1000; i++)
        sum += ret_via();
    printf("ret_via: %llu\n", (unsigned long long)sum);
    printf("bl_loop: %llu\n", (unsigned long long)bl_loop(100000));
    printf("bl_loop then depth: %llu\n", (unsigned long long)(bl_loop(10000) + depth(20)));
    printf("depth 100000: %llu\n", (unsigned long long)depth(100000));
    for (unsigned d = 1000; d <= 9000; d += 4000) {
        unsigned jumps = 0;
        for (int i = 0; i < 50; i++)
            if (setjmp(out) == 0)
                dive(d);
            else
                jumps++;
        printf("longjmp from %u: %u times, then fib %llu\n", d, jumps, (unsigned long long)after_jump(20));
    }
    printf("ret to 0 after a system call:\n");
    if (sigsetjmp(back, 1) == 0) {
        ret_to_zero_fresh();
        printf("  returned\n");
    }
    printf("ret to 0 from depth 100:\n");
    if (sigsetjmp(back, 1) == 0) {
        ret_to_zero_deep(100);
        printf("  returned\n");
    }
    printf("ret to 0 right after a call:\n");
    if (sigsetjmp(back, 1) == 0) {
        ret_to(0);
        printf("  returned\n");
    }
    // Often enough for the block to be translated again as a hot one (a64x: after 4096 runs):
    // the branch to 0 is looked up in the jump cache, where 0 is also what an empty entry holds.
    printf("br to 0 loaded from memory, 5000 times:\n");
    static const uint64_t zero = 0;
    faults = 0;
    for (int i = 0; i < 5000; i++) {
        quiet = i > 0;
        if (sigsetjmp(back, 1) == 0) {
            br_loaded(&zero);
            printf("  returned\n");
        }
    }
    quiet = 0;
    printf("  %d faults\n", faults);
    printf("calls still work: %llu\n", (unsigned long long)after_jump(15));
    return 0;
}
