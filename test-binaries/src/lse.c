//@ aarch64-only
/* LSE atomics, CAS/CASP, exclusive pairs, LDAPR, CRC32 and flag manipulation, with values at
 * the edges of each width. Compared with qemu-aarch64 by tests/programs.rs. */
#include <stdint.h>
#include <stdio.h>
#include <inttypes.h>

static const uint64_t vals[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
                                0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull,
                                0x0123456789abcdefull};
#define N (sizeof(vals) / sizeof(vals[0]))

#define RMW(name, insn, suffix, reg)                                                              \
    static uint64_t name(uint64_t *mem, uint64_t v) {                                             \
        uint64_t old;                                                                             \
        __asm__ volatile(".arch_extension lse\n" insn suffix " %" reg "1, %" reg "0, [%2]"         \
                         : "=&r"(old) : "r"(v), "r"(mem) : "memory");                             \
        return old;                                                                               \
    }
#define RMW4(op)                                                                                  \
    RMW(op##_b, #op, "b", "w") RMW(op##_h, #op, "h", "w") RMW(op##_w, #op, "", "w")             \
    RMW(op##_x, #op, "", "x")
RMW4(ldadd) RMW4(ldclr) RMW4(ldeor) RMW4(ldset) RMW4(ldsmax) RMW4(ldsmin) RMW4(ldumax) RMW4(ldumin)
RMW4(swp) RMW4(ldaddal) RMW4(swpa)

typedef uint64_t (*rmw_fn)(uint64_t *, uint64_t);
static const struct { const char *name; rmw_fn f[4]; } rmws[] = {
#define E(op) {#op, {op##_b, op##_h, op##_w, op##_x}},
    E(ldadd) E(ldclr) E(ldeor) E(ldset) E(ldsmax) E(ldsmin) E(ldumax) E(ldumin) E(swp) E(ldaddal) E(swpa)
};

static uint64_t cas_x(uint64_t *mem, uint64_t expect, uint64_t nv) {
    __asm__ volatile(".arch_extension lse\ncasal %0, %2, [%1]" : "+r"(expect) : "r"(mem), "r"(nv) : "memory");
    return expect;
}
static uint64_t cas_b(uint64_t *mem, uint64_t expect, uint64_t nv) {
    uint32_t e = expect;
    __asm__ volatile(".arch_extension lse\ncasb %w0, %w2, [%1]" : "+r"(e) : "r"(mem), "r"(nv) : "memory");
    return e;
}

static uint32_t crc(int which, uint32_t acc, uint64_t d) {
    uint32_t r;
    switch (which) {
    case 0: __asm__(".arch_extension crc\ncrc32b %w0, %w1, %w2" : "=r"(r) : "r"(acc), "r"(d)); break;
    case 1: __asm__(".arch_extension crc\ncrc32h %w0, %w1, %w2" : "=r"(r) : "r"(acc), "r"(d)); break;
    case 2: __asm__(".arch_extension crc\ncrc32w %w0, %w1, %w2" : "=r"(r) : "r"(acc), "r"(d)); break;
    case 3: __asm__(".arch_extension crc\ncrc32x %w0, %w1, %x2" : "=r"(r) : "r"(acc), "r"(d)); break;
    case 4: /* axflag */ __asm__(".arch_extension crc\ncrc32cb %w0, %w1, %w2" : "=r"(r) : "r"(acc), "r"(d)); break;
    case 5: __asm__(".arch_extension crc\ncrc32ch %w0, %w1, %w2" : "=r"(r) : "r"(acc), "r"(d)); break;
    case 6: __asm__(".arch_extension crc\ncrc32cw %w0, %w1, %w2" : "=r"(r) : "r"(acc), "r"(d)); break;
    default: __asm__(".arch_extension crc\ncrc32cx %w0, %w1, %x2" : "=r"(r) : "r"(acc), "r"(d)); break;
    }
    return r;
}

/* NZCV after setting it to `in` and running one flag-manipulation instruction on x. */
static uint64_t flagm(int which, uint64_t in, uint64_t x) {
    uint64_t out;
    switch (which) {
    case 0: __asm__ volatile(".arch_extension flagm\nmsr nzcv, %1\ncfinv\nmrs %0, nzcv" : "=r"(out) : "r"(in)); break;
    case 1: __asm__ volatile(".arch_extension flagm\nmsr nzcv, %1\nrmif %2, #3, #0b1011\nmrs %0, nzcv" : "=r"(out) : "r"(in), "r"(x)); break;
    case 2: __asm__ volatile(".arch_extension flagm\nmsr nzcv, %1\nsetf8 %w2\nmrs %0, nzcv" : "=r"(out) : "r"(in), "r"(x)); break;
    case 3: __asm__ volatile(".arch_extension flagm\nmsr nzcv, %1\nsetf16 %w2\nmrs %0, nzcv" : "=r"(out) : "r"(in), "r"(x)); break;
    case 4: /* axflag */ __asm__ volatile("msr nzcv, %1\n.inst 0xd500405f\nmrs %0, nzcv" : "=r"(out) : "r"(in)); break;
    default: /* xaflag */ __asm__ volatile("msr nzcv, %1\n.inst 0xd500403f\nmrs %0, nzcv" : "=r"(out) : "r"(in)); break;
    }
    return out >> 28;
}

int main(void) {
    static uint64_t mem[2] __attribute__((aligned(16)));
    uint64_t sum = 0;
    for (unsigned r = 0; r < sizeof(rmws) / sizeof(rmws[0]); r++)
        for (int s = 0; s < 4; s++) {
            uint64_t h = 0;
            for (unsigned i = 0; i < N; i++)
                for (unsigned j = 0; j < N; j++) {
                    mem[0] = vals[i];
                    uint64_t old = rmws[r].f[s](mem, vals[j]);
                    h = h * 31 + old * 7 + mem[0];
                }
            printf("%-8s size %d: %016" PRIx64 "\n", rmws[r].name, 1 << s, h);
            sum += h;
        }
    for (unsigned i = 0; i < N; i++)
        for (unsigned j = 0; j < 3; j++) {
            mem[0] = vals[i];
            uint64_t e = j == 0 ? vals[i] : vals[(i + j) % N];
            uint64_t o = cas_x(mem, e, 0x5a5a);
            uint64_t m1 = mem[0];
            mem[0] = vals[i];
            uint64_t ob = cas_b(mem, e, 0xa5);
            printf("cas %2u %u: %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", i, j, o, m1, ob, mem[0]);
        }
    /* CASP and exclusive pairs. */
    mem[0] = 1, mem[1] = 2;
    {
        register uint64_t x0 __asm__("x0") = 1, x1 __asm__("x1") = 2, x2 __asm__("x2") = 3, x3 __asm__("x3") = 4;
        __asm__ volatile(".arch_extension lse\ncaspal x0, x1, x2, x3, [%4]"
                         : "+r"(x0), "+r"(x1) : "r"(x2), "r"(x3), "r"(mem) : "memory");
        printf("casp hit: %" PRIu64 " %" PRIu64 " mem %" PRIu64 " %" PRIu64 "\n", x0, x1, mem[0], mem[1]);
        x0 = 9, x1 = 9;
        __asm__ volatile(".arch_extension lse\ncasp x0, x1, x2, x3, [%4]"
                         : "+r"(x0), "+r"(x1) : "r"(x2), "r"(x3), "r"(mem) : "memory");
        printf("casp miss: %" PRIu64 " %" PRIu64 " mem %" PRIu64 " %" PRIu64 "\n", x0, x1, mem[0], mem[1]);
    }
    for (int k = 0; k < 3; k++) {
        uint64_t a, b;
        uint32_t st;
        __asm__ volatile("1: ldaxp %0, %1, [%3]\n add %0, %0, #10\n add %1, %1, #20\n stlxp %w2, %0, %1, [%3]\n cbnz %w2, 1b"
                         : "=&r"(a), "=&r"(b), "=&r"(st) : "r"(mem) : "memory");
        printf("xp: %" PRIu64 " %" PRIu64 "\n", mem[0], mem[1]);
    }
    {
        uint64_t v;
        __asm__ volatile(".arch_extension rcpc\nldapr %0, [%1]" : "=r"(v) : "r"(mem) : "memory");
        printf("ldapr: %" PRIu64 "\n", v);
    }
    for (int w = 0; w < 8; w++) {
        uint32_t acc = 0xffffffff;
        for (unsigned i = 0; i < N; i++) acc = crc(w, acc, vals[i]);
        printf("crc %d: %08x\n", w, acc);
    }
    for (int w = 0; w < 6; w++) {
        uint64_t h = 0;
        for (unsigned in = 0; in < 16; in++)
            for (unsigned i = 0; i < N; i++) h = h * 17 + flagm(w, (uint64_t)in << 28, vals[i] + in);
        printf("flagm %d: %016" PRIx64 "\n", w, h);
    }
    printf("sum %016" PRIx64 "\n", sum);
    return 0;
}
