// Syscalls a64x does not implement (numbers AArch64 leaves free, and ones past the table) return
// -ENOSYS, more than once, and the program goes on: a64x notes each number once on stderr,
// which the comparison with qemu-aarch64 skips (`//@ a64x-notes`).
//@ aarch64-only
//@ a64x-notes
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    // 244..259: reserved for architecture-specific calls, none on arm64.
    static const long numbers[] = {244, 259, 1000, 5000, 244};
    for (unsigned i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        errno = 0;
        long r = syscall(numbers[i], 1, 2, 3);
        printf("syscall(%ld) = %ld, errno %s\n", numbers[i], r, errno == ENOSYS ? "ENOSYS" : strerror(errno));
    }
    printf("getpid works after them: %s\n", syscall(SYS_getpid) == getpid() ? "yes" : "no");
    return 0;
}
