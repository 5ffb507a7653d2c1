/* bench_hash: an open-addressing hash table with string keys: inserts,
 * lookups (hits and misses) and deletions, plus malloc/free of the keys.
 * Usage: bench_hash [ITERATIONS] */
//@ bench
//@ args: 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    char *key;
    uint32_t hash;
    int value;
};

enum { CAP = 1 << 17 };
static struct slot slots[CAP];

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static struct slot *lookup(const char *key, uint32_t h)
{
    for (uint32_t i = h & (CAP - 1);; i = (i + 1) & (CAP - 1)) {
        struct slot *s = &slots[i];
        if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
            return s;
    }
}

static void make_key(char *buf, uint32_t n)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz012345";
    char *p = buf;
    *p++ = 'k';
    do {
        *p++ = digits[n & 31];
        n >>= 5;
    } while (n);
    *p = 0;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 80;
    char key[16];
    unsigned long hits = 0, misses = 0, inserted = 0;
    long sum = 0;
    for (int it = 0; it < iters; it++) {
        uint32_t x = 99991u + (uint32_t)it;
        for (int i = 0; i < 80000; i++) {
            x = x * 1103515245u + 12345u;
            make_key(key, (x >> 8) % 100000u);
            uint32_t h = hash_str(key);
            struct slot *s = lookup(key, h);
            if (s->key) {
                s->value++;
            } else {
                s->key = strdup(key);
                s->hash = h;
                s->value = 1;
                inserted++;
            }
        }
        for (uint32_t n = 0; n < 200000; n += 1) {
            make_key(key, n * 7u);
            struct slot *s = lookup(key, hash_str(key));
            if (s->key) {
                hits++;
                sum += s->value;
            } else {
                misses++;
            }
        }
        /* clear the table (no tombstones needed) */
        for (uint32_t i = 0; i < CAP; i++) {
            free(slots[i].key);
            slots[i].key = NULL;
        }
    }
    printf("bench_hash: %d iterations, inserted %lu hits %lu misses %lu sum %ld\n", iters, inserted, hits, misses,
           sum);
    return 0;
}
