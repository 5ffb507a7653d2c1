// Which descriptors are open, found the way python's subprocess tests find them: fstat and
// fcntl(F_GETFD) on every number below the descriptor limit. The VM's own descriptors (a64x
// keeps its executable open, high) must not show.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    long max = sysconf(_SC_OPEN_MAX);
    if (max > 65536) max = 65536;
    int fd = open("/dev/null", O_RDONLY);
    printf("opened %d\n", fd);
    struct stat st;
    printf("fstat:");
    for (int i = 0; i < max; i++)
        if (fstat(i, &st) == 0) printf(" %d", i);
    printf("\nfcntl:");
    for (int i = 0; i < max; i++)
        if (fcntl(i, F_GETFD) >= 0) printf(" %d", i);
    printf("\nfstatat:");
    for (int i = 0; i < max; i++)
        if (fstatat(i, "", &st, AT_EMPTY_PATH) == 0) printf(" %d", i);
    printf("\n");
    return 0;
}
