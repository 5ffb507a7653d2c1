//@ aarch64-only
//@ args: 5
/* Code generated at a fixed address, the same from run to run, but with an operand that changes
 * between runs (argv[1]): a saved translation of it must not be reused once the words differ
 * (tests/tcache.rs runs it with 1, then 2, on one persistent translation cache). With "file"
 * (argv[2]) the code is mapped from a file, as a library changed on disk is; otherwise it is
 * written into anonymous memory, as a JIT's is (whose translations a64x does not save). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *const want = (void *)0x7e0000000ul;

/* The code, in a private mapping of an unlinked temporary file. */
static uint32_t *from_file(const uint32_t *code, size_t n) {
    char path[] = "/tmp/tcache_jit-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        exit(1);
    }
    unlink(path);
    static uint32_t page[1024];
    memcpy(page, code, n * sizeof *code);
    if (write(fd, page, sizeof page) != (ssize_t)sizeof page) {
        perror("write");
        exit(1);
    }
    void *p = mmap(want, sizeof page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
    close(fd);
    return p;
}

/* The code, written into anonymous memory. */
static uint32_t *written(const uint32_t *code, size_t n) {
    uint32_t *p = mmap(want, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != want) {
        return p;
    }
    memcpy(p, code, n * sizeof *code);
    __builtin___clear_cache((char *)p, (char *)(p + n));
    return p;
}

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
    int file = argc > 2 && strcmp(argv[2], "file") == 0;
    uint32_t code[2] = {
        0x52800000u | (n & 0xffff) << 5, /* movz w0, #n */
        0xd65f03c0u,                     /* ret */
    };
    uint32_t *p = file ? from_file(code, 2) : written(code, 2);
    if (p != want) {
        perror("mmap");
        return 1;
    }
    int (*f)(void) = (int (*)(void))p;
    printf("generated code returns %d\n", f());
    return 0;
}
