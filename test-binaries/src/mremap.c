// mremap: growing in place and by moving, shrinking, MREMAP_FIXED, file mappings, the errors,
// and glibc's realloc of large (mmapped) blocks, which uses it. Prints contents and errno
// values, never addresses.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long page;

static void fill(unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + seed);
}

static int same(const unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 31 + seed))
            return 0;
    return 1;
}

static const char *err(void *r) {
    return r == MAP_FAILED ? strerrorname_np(errno) : "ok";
}

int main(void) {
    page = sysconf(_SC_PAGESIZE);
    // Grow by moving: a mapping right after the first one is in the way.
    unsigned char *a = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(a + 2 * page, 2 * page);
    unsigned char *block = mmap(a + 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    fill(a, 2 * page, 1);
    unsigned char *b = mremap(a, 2 * page, 8 * page, 0);
    printf("grow without MAYMOVE when blocked: %s\n", err(b));
    b = mremap(a, 2 * page, 8 * page, MREMAP_MAYMOVE);
    printf("grow with MAYMOVE: %s, moved %d, contents kept %d, new part zero %d\n", err(b), b != a,
           same(b, 2 * page, 1), b[5 * page] == 0);
    b[8 * page - 1] = 7;
    printf("old range gone: %d\n", msync(a, page, MS_ASYNC) == -1 && errno == ENOMEM);
    munmap(block, page);

    // Grow in place: the pages after it are free.
    unsigned char *c = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(c + 4 * page, 12 * page);
    fill(c, 4 * page, 2);
    unsigned char *d = mremap(c, 4 * page, 12 * page, 0);
    printf("grow in place: %s, same address %d, contents %d\n", err(d), d == c, same(c, 4 * page, 2));
    d[12 * page - 1] = 1;

    // Shrink: the tail is unmapped.
    unsigned char *e = mremap(d, 12 * page, 3 * page, 0);
    printf("shrink: %s, same address %d, contents %d, tail gone %d\n", err(e), e == d, same(e, 3 * page, 2),
           msync(d + 3 * page, page, MS_ASYNC) == -1 && errno == ENOMEM);

    // MREMAP_FIXED onto a chosen range (replacing what was there).
    unsigned char *target = mmap(NULL, 6 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *f = mremap(e, 3 * page, 5 * page, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    printf("fixed: %s, at target %d, contents %d, writable %d\n", err(f), f == target, same(f, 3 * page, 2),
           (f[4 * page] = 9) == 9);
    printf("rest of target kept: %d\n", msync(target + 5 * page, page, MS_ASYNC) == 0);

    // Errors.
    printf("unaligned: %s\n", err(mremap(f + 1, page, 2 * page, MREMAP_MAYMOVE)));
    unsigned char *hole = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, page);
    printf("not mapped: %s\n", err(mremap(hole, page, 2 * page, MREMAP_MAYMOVE)));
    printf("across two mappings: %s\n", err(mremap(f, 7 * page, 8 * page, MREMAP_MAYMOVE)));
    printf("FIXED without MAYMOVE: %s\n", err(mremap(f, page, page, MREMAP_FIXED, target)));
    printf("bad flags: %s\n", err(mremap(f, page, page, 64)));
    printf("overlapping FIXED: %s\n", err(mremap(f, page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, f + page)));

    // A shared file mapping moves with its file.
    FILE *tmp = tmpfile();
    int fd = fileno(tmp);
    ftruncate(fd, 4 * page);
    unsigned char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    unsigned char *in_way = mmap(m + 2 * page, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    unsigned char *m2 = mremap(m, 2 * page, 4 * page, MREMAP_MAYMOVE);
    m2[3 * page + 5] = 'x';
    m2[10] = 'y';
    char buf[2] = {0};
    pread(fd, buf, 1, 3 * page + 5);
    pread(fd, buf + 1, 1, 10);
    printf("file mapping moved: %s, writes reach the file: %c%c\n", err(m2), buf[0], buf[1]);
    munmap(in_way, page);

    // glibc's realloc of mmapped chunks goes through mremap.
    size_t n = 1 << 20;
    unsigned char *r = malloc(n);
    fill(r, n, 3);
    for (int i = 0; i < 6; i++) {
        n *= 2;
        r = realloc(r, n);
        fill(r + n / 2, n / 2, 3 + i);
    }
    printf("realloc up to %zu MiB: first part kept %d\n", n >> 20, same(r, 1 << 20, 3));
    free(r);
    return 0;
}
