// Which of the standard descriptors 0, 1, 2 are open, and the number the next open() gets.
// tests/process.rs runs it with stdin and stderr closed (`0<&- 2>&-`) under a64x and qemu: the
// guest must see them closed (a64x's Rust runtime opens /dev/null on closed standard descriptors
// for itself before main; a64x closes them again before the guest starts).
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    char line[128];
    int len = 0;
    for (int fd = 0; fd < 3; fd++) {
        len += snprintf(line + len, sizeof line - len, "fd %d %s, ", fd, fcntl(fd, F_GETFD) == -1 ? "closed" : "open");
    }
    int fd = open("/proc/self/cmdline", O_RDONLY);
    len += snprintf(line + len, sizeof line - len, "next open() gets %d\n", fd);
    // stdout may be the only descriptor open: write(2) to 1 directly.
    return write(1, line, strlen(line)) == len ? 0 : 1;
}
