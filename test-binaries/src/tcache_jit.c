//@ aarch64-only
//@ args: 5
/* Code generated at a fixed address, the same from run to run, but with an operand that changes
 * between runs (argv[1]): a saved translation of it must not be reused once the words differ
 * (tests/tcache.rs runs it with 1, then 2, on one persistent translation cache). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
    void *want = (void *)0x7e0000000ul;
    uint32_t *p = mmap(want, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != want) {
        perror("mmap");
        return 1;
    }
    p[0] = 0x52800000u | (n & 0xffff) << 5; /* movz w0, #n */
    p[1] = 0xd65f03c0u;                     /* ret */
    __builtin___clear_cache((char *)p, (char *)(p + 2));
    int (*f)(void) = (int (*)(void))p;
    printf("generated code returns %d\n", f());
    return 0;
}
