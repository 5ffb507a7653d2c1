// SA_ONSTACK handlers run on the sigaltstack stack (and know it through sigaltstack's SS_ONSTACK);
// handlers without it stay on the normal stack; the alternate stack can be disabled.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *alt;
static size_t alt_size;
static volatile int on_alt, flags_onstack, depth_ok;

static int inside(void *p) {
    return (uintptr_t)p >= (uintptr_t)alt && (uintptr_t)p < (uintptr_t)alt + alt_size;
}

static void on_usr1(int sig) {
    (void)sig;
    char local;
    on_alt = inside(&local);
    stack_t cur;
    sigaltstack(NULL, &cur);
    flags_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
    // Changing the alternate stack while running on it fails.
    stack_t again = cur;
    again.ss_flags = 0;
    depth_ok = sigaltstack(&again, NULL) != 0;
}

static void install(int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
}

int main(void) {
    alt_size = 64 * 1024;
    alt = malloc(alt_size);
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = alt;
    ss.ss_size = alt_size;
    if (sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        return 1;
    }
    install(SA_ONSTACK);
    raise(SIGUSR1);
    printf("SA_ONSTACK: on alt stack %d, SS_ONSTACK %d, change refused %d\n", on_alt, flags_onstack, depth_ok);
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("after: SS_ONSTACK %d, disabled %d\n", (cur.ss_flags & SS_ONSTACK) != 0, (cur.ss_flags & SS_DISABLE) != 0);

    install(0);
    raise(SIGUSR1);
    printf("without SA_ONSTACK: on alt stack %d, SS_ONSTACK %d\n", on_alt, flags_onstack);

    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    install(SA_ONSTACK);
    raise(SIGUSR1);
    printf("disabled: on alt stack %d\n", on_alt);
    sigaltstack(NULL, &cur);
    printf("disabled flag %d\n", (cur.ss_flags & SS_DISABLE) != 0);
    return 0;
}
