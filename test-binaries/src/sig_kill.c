// kill(getpid(), SIGTERM) with no handler: the process dies of SIGTERM, which the parent sees.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("sending SIGTERM to myself\n");
    fflush(stdout);
    kill(getpid(), SIGTERM);
    printf("not reached\n");
    return 0;
}
