/* FEAT_DIT and FEAT_SSBS: the PSTATE bits EL0 may set, by MSR (immediate) and MSR (register),
 * read back by MRS at their SPSR positions (DIT bit 24, SSBS bit 12), each independent of the
 * other and of NZCV; a signal handler's return restores them (the frame's pstate). Neither the
 * initial values (Linux's SSBS at start depends on the CPU's mitigation) nor HWCAP (qemu 7.2
 * advertises neither; tests/cli.rs checks a64x's) are printed. */
//@ aarch64-only
//@ cflags: -march=armv8.5-a
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t dit(void) { uint64_t v; asm volatile("mrs %0, dit" : "=r"(v)); return v; }
static uint64_t ssbs(void) { uint64_t v; asm volatile("mrs %0, ssbs" : "=r"(v)); return v; }
static uint64_t nzcv(void) { uint64_t v; asm volatile("mrs %0, nzcv" : "=r"(v)); return v; }

static void show(const char *what) {
    printf("%-28s dit %07llx ssbs %04llx nzcv %08llx\n", what, (unsigned long long)dit(),
           (unsigned long long)ssbs(), (unsigned long long)nzcv());
}

static void handler(int sig) {
    (void)sig;
    /* Changed in the handler; the interrupted code gets its own back. */
    asm volatile("msr dit, #0\n\tmsr ssbs, #1");
}

int main(void) {
    asm volatile("msr nzcv, %0" : : "r"(0x60000000ul));
    asm volatile("msr dit, #1\n\tmsr ssbs, #0");
    show("dit #1, ssbs #0");
    asm volatile("msr ssbs, #1");
    show("ssbs #1");
    asm volatile("msr dit, #0");
    show("dit #0");
    asm volatile("msr dit, %0" : : "r"(~0ul));
    show("dit all ones");
    asm volatile("msr ssbs, %0" : : "r"(0ul));
    show("ssbs zero");
    asm volatile("msr ssbs, %0" : : "r"(1ul << 12));
    show("ssbs bit 12");
    asm volatile("msr dit, %0\n\tmsr ssbs, %0" : : "r"(0ul));
    signal(SIGUSR1, handler);
    asm volatile("msr dit, #1");
    raise(SIGUSR1);
    show("after a handler changed them");
    return 0;
}
