/* strings: the libc string and memory functions (glibc picks optimised,
 * often SIMD, variants of these from AT_HWCAP), sprintf/snprintf, qsort with
 * a string comparator, atoi/strtol/strtoul. Buffers at odd offsets and
 * lengths to exercise the unaligned head/tail paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
/* the truncations below are what is being tested */
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static unsigned long hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    unsigned long h = 5381;
    while (n--)
        h = h * 33 + *s++;
    return h;
}

int main(void)
{
    static const char *words[] = {"pear", "apple", "fig", "banana", "Cherry", "apple pie", "", "zebra", "äpfel",
                                  "kiwi", "applesauce", "Banana", "date", "elderberry", "grape", "\x7f" "del",
                                  "\xff" "high"};
    const int nw = sizeof words / sizeof words[0];
    char buf[256], big[4096], big2[4096];

    printf("== strlen\n");
    for (int i = 0; i < nw; i++)
        printf("strlen(\"%s\") = %zu\n", words[i], strlen(words[i]));
    for (int len = 0; len < 70; len += 3) {
        for (int off = 0; off < 16; off += 5) {
            memset(big, 'x', sizeof big);
            big[off + len] = 0;
            if (strlen(big + off) != (size_t)len)
                printf("strlen mismatch len %d off %d\n", len, off);
        }
    }
    printf("== strcmp/strncmp (signs; chars compare as unsigned)\n");
    for (int i = 0; i < nw; i += 2) {
        for (int j = 1; j < nw; j += 3) {
            printf("%d", sign(strcmp(words[i], words[j])) + 1);
            printf("%d ", sign(strncmp(words[i], words[j], 3)) + 1);
        }
        printf("\n");
    }
    printf("== strchr/strrchr/strstr\n");
    const char *text = "the quick brown fox jumps over the lazy dog; the end";
    for (const char *c = "teqz;!"; *c; c++) {
        const char *f = strchr(text, *c), *r = strrchr(text, *c);
        printf("'%c': first %ld last %ld\n", *c, f ? (long)(f - text) : -1L, r ? (long)(r - text) : -1L);
    }
    static const char *needles[] = {"the", "fox", "lazy dog", "cat", "", "end", "d"};
    for (unsigned i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        const char *f = strstr(text, needles[i]);
        printf("strstr(\"%s\") = %ld\n", needles[i], f ? (long)(f - text) : -1L);
    }
    printf("strchr for NUL at %ld\n", (long)(strchr(text, 0) - text));

    printf("== memcpy/memmove/memset/memcmp\n");
    for (int i = 0; i < (int)sizeof big; i++)
        big[i] = (char)(i * 7 + (i >> 5));
    for (int len = 0; len <= 300; len += 37) {
        for (int so = 0; so < 4; so++) {
            for (int d = 0; d < 3; d++) {
                memset(big2, 0x5a, sizeof big2);
                memcpy(big2 + 100 + d, big + so, (size_t)len);
                if (memcmp(big2 + 100 + d, big + so, (size_t)len) != 0)
                    printf("memcpy mismatch %d %d %d\n", len, so, d);
            }
        }
        printf("len %3d hash %lx\n", len, hash_bytes(big2, 512));
    }
    memcpy(big2, big, 1000);
    memmove(big2 + 3, big2, 500);   /* overlapping, forwards */
    printf("memmove fwd hash %lx\n", hash_bytes(big2, 1000));
    memmove(big2, big2 + 17, 600);  /* overlapping, backwards */
    printf("memmove bwd hash %lx\n", hash_bytes(big2, 1000));
    memset(big2 + 1, 0xab, 777);
    memset(big2 + 900, 0, 33);
    printf("memset hash %lx\n", hash_bytes(big2, 1000));
    memcpy(buf, "abcdefgh", 9);
    memcpy(big, "abcdefgX", 9);
    printf("memcmp signs: %d %d %d %d\n", sign(memcmp(buf, big, 8)), sign(memcmp(big, buf, 8)),
           sign(memcmp(buf, big, 7)), sign(memcmp("\x80", "\x01", 1)));

    printf("== strcpy/strcat/strncpy\n");
    strcpy(buf, "Hello");
    strcat(buf, ", ");
    strcat(buf, "world");
    strncat(buf, "!!!???", 3);
    printf("%s (%zu)\n", buf, strlen(buf));
    memset(buf, '#', 20);
    strncpy(buf, "abc", 8);
    printf("strncpy: %s then %d %d\n", buf, buf[5], buf[8]);
    char *dup = strdup(text);
    printf("strdup equal: %d\n", strcmp(dup, text) == 0);
    free(dup);

    printf("== sprintf/snprintf\n");
    int n = sprintf(buf, "%s-%d-%x-%c", "id", -42, 0xbeefu, 'Z');
    printf("sprintf -> \"%s\" (%d)\n", buf, n);
    n = snprintf(buf, 10, "%s", "truncated output here");
    printf("snprintf -> \"%s\" (%d)\n", buf, n);
    n = snprintf(NULL, 0, "%d items", 12345);
    printf("snprintf(NULL) -> %d\n", n);

    printf("== qsort strings\n");
    const char *sorted[sizeof words / sizeof words[0]];
    memcpy(sorted, words, sizeof words);
    qsort(sorted, (size_t)nw, sizeof sorted[0], cmp_str);
    for (int i = 0; i < nw; i++)
        printf("[%s]", sorted[i]);
    printf("\n");

    printf("== atoi/strtol/strtoul\n");
    static const char *nums[] = {"0", "42", "-17", "  +123abc", "0x1F", "077", "-0x80000000", "9223372036854775807",
                                 "-9223372036854775808", "99999999999999999999", "junk", "1e5"};
    for (unsigned i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char *end;
        long v0 = strtol(nums[i], &end, 0);
        long v10 = strtol(nums[i], NULL, 10);
        unsigned long u16 = strtoul(nums[i], NULL, 16);
        printf("\"%s\": atoi=%d strtol0=%ld (rest \"%s\") strtol10=%ld strtoul16=%lu\n", nums[i],
               i < 9 ? atoi(nums[i]) : 0, v0, end, v10, u16);
    }
    printf("strtol base 36: %ld, base 2: %ld\n", strtol("zz", NULL, 36), strtol("101101", NULL, 2));
    return 0;
}
