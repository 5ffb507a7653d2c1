// Forked children that run code their parent never runs (as a shell's child between fork and
// exec or exit): three children in turn each go down a chain of compare-and-branch blocks the
// parent never enters, while the parent ran thousands of blocks of its own. tests/tcache.rs runs it three times with one cache: the children's own
// blocks must be saved by one of them and placed, not translated again, by later children.
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define C(n) else if (k == n) return k * n + 3;

/// Reached only in the children: each case is a block of its own.
__attribute__((noinline)) static long child_only(long k) {
    if (k == 0)
        return 7;
    C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9)
    return -k;
}

#define P(n) else if (k == n) return k * 3 + n;
#define P4(n) P(n) P(n + 1) P(n + 2) P(n + 3)
#define P16(n) P4(n) P4(n + 4) P4(n + 8) P4(n + 12)
#define P64(n) P16(n) P16(n + 16) P16(n + 32) P16(n + 48)
#define P256(n) P64(n) P64(n + 64) P64(n + 128) P64(n + 192)

/// Reached only in the parent, and much of it: a file with many entries, against which a few
/// new ones used not to be worth saving.
__attribute__((noinline)) static long parent_only(long k) {
    if (k == 0)
        return 1;
    P256(1) P256(257) P256(513) P256(769)
    return -k;
}

int main(void) {
    long sum = 0;
    for (long k = 0; k < 1025; k++)
        sum += parent_only(k);
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int c = 0; c < 3; c++) {
        pid_t p = fork();
        if (p == 0) {
            // A few blocks of its own, fewer than a process's translations must number before
            // they are worth a new file (no stdio: printf would bring many more).
            long s = 0;
            for (long k = 0; k < 10; k++)
                s += child_only(k);
            char line[] = "child 0: 000\n";
            line[6] += c;
            line[9] += s / 100 % 10;
            line[10] += s / 10 % 10;
            line[11] += s % 10;
            if (write(1, line, sizeof line - 1) != sizeof line - 1)
                _exit(1);
            _exit(0);
        }
        int st;
        waitpid(p, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return 1;
    }
    printf("parent: 3 children, %ld\n", sum);
    return 0;
}
