/* crc32: table-driven CRC-32 (IEEE, reflected) and CRC-32C computed bit by
 * bit, Adler-32 and FNV-1a over generated data and a few strings. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t table[256];

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--)
        c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t crc32c_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t adler32(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n--) {
        a = (a + *p++) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    while (n--)
        h = (h ^ *p++) * 0x100000001b3ull;
    return h;
}

int main(void)
{
    static unsigned char data[1 << 18];
    static const char *strs[] = {"", "a", "abc", "123456789", "The quick brown fox jumps over the lazy dog"};
    make_table();
    printf("table[1]=%08x table[128]=%08x table[255]=%08x\n", table[1], table[128], table[255]);
    for (unsigned i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        const unsigned char *s = (const unsigned char *)strs[i];
        size_t n = strlen(strs[i]);
        printf("\"%s\": crc32 %08x crc32c %08x adler32 %08x fnv1a %016llx\n", strs[i], crc32(s, n),
               crc32c_bitwise(s, n), adler32(s, n), (unsigned long long)fnv1a(s, n));
    }
    uint32_t x = 1;
    for (size_t i = 0; i < sizeof data; i++) {
        x = x * 1664525u + 1013904223u;
        data[i] = (unsigned char)(x >> 24);
    }
    for (size_t n = 1; n <= sizeof data; n *= 4)
        printf("data[0..%zu]: crc32 %08x adler32 %08x\n", n, crc32(data, n), adler32(data, n));
    printf("crc32c(64 KiB) %08x\n", crc32c_bitwise(data, 65536));
    return 0;
}
