/* malloc: many malloc/calloc/realloc/free calls of varying sizes (small bins,
 * large chunks served by mmap, brk growth and trimming), with content checks,
 * plus a chained hash table with resizing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state = 2463534242u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

struct entry {
    struct entry *next;
    char *key;
    long value;
};

struct table {
    struct entry **buckets;
    size_t nbuckets, count;
};

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static void table_grow(struct table *t)
{
    size_t nb = t->nbuckets ? t->nbuckets * 2 : 8;
    struct entry **b = calloc(nb, sizeof *b);
    if (!b)
        abort();
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct entry *e = t->buckets[i];
        while (e) {
            struct entry *next = e->next;
            size_t h = hash_str(e->key) & (nb - 1);
            e->next = b[h];
            b[h] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
}

static void table_add(struct table *t, const char *key, long delta)
{
    if (t->count >= t->nbuckets * 3 / 4)
        table_grow(t);
    size_t h = hash_str(key) & (t->nbuckets - 1);
    for (struct entry *e = t->buckets[h]; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            e->value += delta;
            return;
        }
    }
    struct entry *e = malloc(sizeof *e);
    if (!e)
        abort();
    e->key = strdup(key);
    e->value = delta;
    e->next = t->buckets[h];
    t->buckets[h] = e;
    t->count++;
}

static int table_remove(struct table *t, const char *key)
{
    size_t h = hash_str(key) & (t->nbuckets - 1);
    for (struct entry **pp = &t->buckets[h]; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            struct entry *dead = *pp;
            *pp = dead->next;
            free(dead->key);
            free(dead);
            t->count--;
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    enum { SLOTS = 512 };
    static unsigned char *ptr[SLOTS];
    static size_t len[SLOTS];
    unsigned long allocs = 0, reallocs = 0, frees = 0, bad = 0;

    for (int round = 0; round < 20000; round++) {
        unsigned i = rng() % SLOTS;
        uint32_t r = rng();
        size_t want;
        switch (r % 8) {
        case 0: want = 200000 + r % 300000; break; /* large: mmap'd by glibc */
        case 1: case 2: want = 1024 + r % 8192; break;
        default: want = 1 + r % 200; break;
        }
        if (ptr[i] && (r & 0x100)) {
            /* check the old contents, then free */
            for (size_t k = 0; k < len[i]; k += 61)
                bad += ptr[i][k] != (unsigned char)(i + k);
            free(ptr[i]);
            ptr[i] = NULL;
            frees++;
        } else if (ptr[i]) {
            unsigned char *p = realloc(ptr[i], want);
            if (!p)
                abort();
            size_t keep = len[i] < want ? len[i] : want;
            for (size_t k = 0; k < keep; k += 53)
                bad += p[k] != (unsigned char)(i + k);
            for (size_t k = 0; k < want; k++)
                p[k] = (unsigned char)(i + k);
            ptr[i] = p;
            len[i] = want;
            reallocs++;
        } else {
            unsigned char *p = (r & 0x200) ? calloc(1, want) : malloc(want);
            if (!p)
                abort();
            if (r & 0x200)
                for (size_t k = 0; k < want; k += 97)
                    bad += p[k] != 0;
            for (size_t k = 0; k < want; k++)
                p[k] = (unsigned char)(i + k);
            ptr[i] = p;
            len[i] = want;
            allocs++;
        }
    }
    size_t live = 0;
    for (unsigned i = 0; i < SLOTS; i++) {
        live += len[i] * (ptr[i] != NULL);
        free(ptr[i]);
    }
    printf("allocs %lu reallocs %lu frees %lu live-bytes-at-end %zu bad %lu\n", allocs, reallocs, frees, live, bad);

    struct table t = {0};
    char key[32];
    for (int i = 0; i < 30000; i++) {
        snprintf(key, sizeof key, "k%u", rng() % 5000);
        table_add(&t, key, i % 7 + 1);
    }
    printf("hash table: %zu keys in %zu buckets\n", t.count, t.nbuckets);
    unsigned removed = 0;
    for (unsigned i = 0; i < 5000; i += 3) {
        snprintf(key, sizeof key, "k%u", i);
        removed += (unsigned)table_remove(&t, key);
    }
    long total = 0, maxv = 0;
    size_t longest = 0;
    for (size_t b = 0; b < t.nbuckets; b++) {
        size_t chain = 0;
        for (struct entry *e = t.buckets[b]; e; e = e->next) {
            total += e->value;
            if (e->value > maxv)
                maxv = e->value;
            chain++;
        }
        if (chain > longest)
            longest = chain;
    }
    printf("removed %u, left %zu, total %ld, max %ld, longest chain %zu\n", removed, t.count, total, maxv, longest);
    for (unsigned i = 1; i < 5000; i += 997) {
        snprintf(key, sizeof key, "k%u", i);
        size_t h = hash_str(key) & (t.nbuckets - 1);
        long v = -1;
        for (struct entry *e = t.buckets[h]; e; e = e->next)
            if (strcmp(e->key, key) == 0)
                v = e->value;
        printf("%s -> %ld\n", key, v);
    }
    for (size_t b = 0; b < t.nbuckets; b++) {
        struct entry *e = t.buckets[b];
        while (e) {
            struct entry *n = e->next;
            free(e->key);
            free(e);
            e = n;
        }
    }
    free(t.buckets);
    return 0;
}
