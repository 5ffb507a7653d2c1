// A forked child translates and chains code of its own, then the parent runs new code and
// then the paths the child took: each process must keep its own translations. (A code cache
// shared between them after fork let the child's chain patches send the parent into code the
// parent had put in the same place since.)
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define C(n) else if (k == n) return k * n + 1;

/// A chain of compare-and-branch blocks: reaching case n translates and chains the tests
/// before it.
__attribute__((noinline)) static long pick(long k) {
    if (k == 0)
        return 1;
    C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15) C(16)
    C(17) C(18) C(19) C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29) C(30) C(31)
    C(32) C(33) C(34) C(35) C(36) C(37) C(38) C(39) C(40) C(41) C(42) C(43) C(44) C(45) C(46)
    C(47) C(48) C(49) C(50) C(51) C(52) C(53) C(54) C(55) C(56) C(57) C(58) C(59) C(60) C(61)
    return -k;
}

/// Other code, translated by the parent after the child is gone.
__attribute__((noinline)) static long other(long k) {
    long s = 0;
    for (long i = 0; i < k; i++)
        s += (i * 7) ^ (s >> 3);
    return s;
}

static long run(long from, long to) {
    long s = 0;
    for (int round = 0; round < 50; round++)
        for (long k = from; k < to; k++)
            s += pick(k);
    return s;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    long before = run(0, 8);
    pid_t p = fork();
    if (p == 0) {
        // The child goes down the chain past where the parent went.
        printf("child: %ld\n", run(0, 64));
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    long o = other(1000) + other(2000);
    printf("parent before fork: %ld, other code: %ld, the child's paths: %ld\n", before, o, run(0, 64));
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
