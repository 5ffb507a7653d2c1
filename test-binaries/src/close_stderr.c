// Closes its stderr and opens a file that takes descriptor 2 in its place, then exits: what the
// VM prints at the exit (a64x --stats) must reach the VM's own stderr, neither lost nor written
// into the guest's file (tests/cli.rs stats_reach_the_vms_stderr_after_the_guest_closes_its_own).
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    close(2);
    int fd = open("/dev/null", O_WRONLY);
    printf("stderr closed, /dev/null opened as %d\n", fd);
    return 0;
}
