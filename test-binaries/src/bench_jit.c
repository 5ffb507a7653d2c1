// What a JIT does to the translator: emit a small function, make it visible, run it, over and
// over, in the three ways JITs use on arm64 Linux:
//   lines     one RWX mapping; the new code is made visible line by line with
//             __builtin___clear_cache (DC CVAU + IC IVAU per 64-byte line on AArch64);
//   mprotect  W^X by flipping the page between RW and RX around every emission;
//   dual      W^X by two mappings of one memfd: written through the RW alias, run through the
//             RX alias, made visible by IC IVAU on the RX addresses (Erlang's and V8's default);
//   patch     call sites patched in place: one instruction of an existing function rewritten
//             while the others keep their translations (inline caches).
// Functions go to rotating slots in a 256 KiB code area, so old translations are replaced and
// live ones neighbour the changed lines. The sums are checked against what the code must
// compute: stale code shows as "BAD". Built for the host as well (x86-64 emission), for the
// benchmark's native column.
//@ bench
//@ args: 2000
// qemu-aarch64 runs stale code in the dual mode (it ignores IC IVAU and sees no write to the RX
// alias), against the Arm ARM (B2.4.4, instruction cache maintenance): the host build is the oracle.
//@ oracle: native
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define AREA (256 * 1024)
#define SLOT 256
#define SLOTS (AREA / SLOT)

typedef uint32_t (*fn_t)(uint32_t);

/// Writes at `p` a function returning x * a + b, padded with work so it spans two cache lines;
/// returns its length in bytes.
static size_t emit(uint8_t *p, uint32_t a, uint32_t b) {
#if defined(__aarch64__)
    uint32_t *w = (uint32_t *)p;
    int n = 0;
    w[n++] = 0x52800001u | ((a & 0xffff) << 5);  // movz w1, #a
    w[n++] = 0x52800002u | ((b & 0xffff) << 5);  // movz w2, #b
    for (int i = 0; i < 20; i++)
        w[n++] = 0x11000463u;                    // add w3, w3, #1 (padding work)
    w[n++] = 0x1b010800u;                        // madd w0, w0, w1, w2
    w[n++] = 0xd65f03c0u;                        // ret
    return (size_t)n * 4;
#elif defined(__x86_64__)
    // The same 16-bit constants as the AArch64 code's movz.
    a &= 0xffff;
    b &= 0xffff;
    size_t n = 0;
    p[n++] = 0x69; p[n++] = 0xc7;                // imul eax, edi, imm32
    memcpy(p + n, &a, 4); n += 4;
    for (int i = 0; i < 20; i++) {
        p[n++] = 0x83; p[n++] = 0xc2; p[n++] = 0x01;  // add edx, 1 (padding work)
    }
    p[n++] = 0x05;                               // add eax, imm32
    memcpy(p + n, &b, 4); n += 4;
    p[n++] = 0xc3;                               // ret
    return n;
#else
#error "unsupported architecture"
#endif
}

/// Rewrites the constant `b` of a function emitted at `p`; returns the bytes changed.
static size_t patch(uint8_t *p, uint32_t b, uint8_t **at) {
#if defined(__aarch64__)
    uint32_t *w = (uint32_t *)p;
    w[1] = 0x52800002u | ((b & 0xffff) << 5);
    *at = p + 4;
    return 4;
#else
    b &= 0xffff;
    memcpy(p + 2 + 4 + 60 + 1, &b, 4);
    *at = p + 2 + 4 + 60 + 1;
    return 4;
#endif
}

static uint32_t expect(uint32_t x, uint32_t a, uint32_t b) {
    return x * (a & 0xffff) + (b & 0xffff);
}

static void report(const char *mode, int iters, uint32_t sum, uint32_t want) {
    printf("%-8s %d functions run, sum %u: %s\n", mode, iters, sum, sum == want ? "ok" : "BAD (stale code ran)");
}

static void mode_lines(int iters) {
    uint8_t *code = mmap(NULL, AREA, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t sum = 0, want = 0;
    for (int i = 0; i < iters; i++) {
        uint8_t *f = code + (size_t)(i % SLOTS) * SLOT;
        size_t len = emit(f, (uint32_t)i * 3 + 1, (uint32_t)i);
        __builtin___clear_cache((char *)f, (char *)f + len);
        sum += ((fn_t)(uintptr_t)f)((uint32_t)i);
        want += expect((uint32_t)i, (uint32_t)i * 3 + 1, (uint32_t)i);
    }
    report("lines", iters, sum, want);
    munmap(code, AREA);
}

static void mode_mprotect(int iters) {
    uint8_t *code = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t sum = 0, want = 0;
    for (int i = 0; i < iters; i++) {
        uint8_t *f = code + (size_t)(i % SLOTS) * SLOT;
        mprotect(code, AREA, PROT_READ | PROT_WRITE);
        size_t len = emit(f, (uint32_t)i + 7, (uint32_t)i * 5);
        mprotect(code, AREA, PROT_READ | PROT_EXEC);
        __builtin___clear_cache((char *)f, (char *)f + len);
        sum += ((fn_t)(uintptr_t)f)((uint32_t)i);
        want += expect((uint32_t)i, (uint32_t)i + 7, (uint32_t)i * 5);
    }
    report("mprotect", iters, sum, want);
    munmap(code, AREA);
}

static void mode_dual(int iters) {
    int fd = memfd_create("jit", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, AREA) != 0) {
        perror("memfd");
        exit(1);
    }
    uint8_t *rw = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    uint8_t *rx = mmap(NULL, AREA, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (rw == MAP_FAILED || rx == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    uint32_t sum = 0, want = 0;
    for (int i = 0; i < iters; i++) {
        size_t off = (size_t)(i % SLOTS) * SLOT;
        size_t len = emit(rw + off, (uint32_t)i * 11 + 2, (uint32_t)i + 9);
        __builtin___clear_cache((char *)rx + off, (char *)rx + off + len);
        sum += ((fn_t)(uintptr_t)(rx + off))((uint32_t)i);
        want += expect((uint32_t)i, (uint32_t)i * 11 + 2, (uint32_t)i + 9);
    }
    report("dual", iters, sum, want);
    munmap(rw, AREA);
    munmap(rx, AREA);
    close(fd);
}

static void mode_patch(int iters) {
    uint8_t *code = mmap(NULL, AREA, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    enum { N = 64 };
    for (int k = 0; k < N; k++) {
        size_t len = emit(code + (size_t)k * SLOT, (uint32_t)k + 1, 0);
        __builtin___clear_cache((char *)code + (size_t)k * SLOT, (char *)code + (size_t)k * SLOT + len);
    }
    uint32_t sum = 0, want = 0, b[N] = {0};
    for (int i = 0; i < iters; i++) {
        int k = i % N;
        uint8_t *f = code + (size_t)k * SLOT, *at;
        b[k] = (uint32_t)i;
        size_t len = patch(f, b[k], &at);
        __builtin___clear_cache((char *)at, (char *)at + len);
        // Every function runs, the patched one and its unchanged neighbours.
        for (int j = 0; j < N; j += 8) {
            int m = (k + j) % N;
            sum += ((fn_t)(uintptr_t)(code + (size_t)m * SLOT))((uint32_t)i);
            want += expect((uint32_t)i, (uint32_t)m + 1, b[m]);
        }
    }
    report("patch", iters, sum, want);
    munmap(code, AREA);
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 40000;
    mode_lines(iters);
    mode_mprotect(iters);
    mode_dual(iters);
    mode_patch(iters);
    return 0;
}
