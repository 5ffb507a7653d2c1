//@ bench
//@ args: 2
/* bench_calls: programs made of calls and returns: naive recursive Fibonacci, Ackermann's
 * function, a recursive walk of a binary tree, mutual recursion, and calls through a table of
 * function pointers (BLR), each returning to many call sites. Where a translator pays a hashed
 * lookup and a mispredicted indirect jump for every return, this class is slow.
 * Usage: bench_calls [SCALE] (default 10; the work grows linearly with it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE uint64_t fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static NOINLINE uint64_t ack(uint64_t m, uint64_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

struct node {
    struct node *l, *r;
    uint64_t v;
};

static NOINLINE struct node *build(unsigned depth, uint64_t *seed)
{
    struct node *n = malloc(sizeof *n);
    if (!n)
        exit(2);
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    n->v = *seed >> 33;
    n->l = depth ? build(depth - 1, seed) : NULL;
    n->r = depth ? build(depth - 1, seed) : NULL;
    return n;
}

static NOINLINE uint64_t walk(const struct node *n, unsigned level)
{
    if (!n)
        return level;
    return (n->v ^ level) + walk(n->l, level + 1) * 3 + walk(n->r, level + 1);
}

static NOINLINE void release(struct node *n)
{
    if (n) {
        release(n->l);
        release(n->r);
        free(n);
    }
}

static NOINLINE int is_odd(unsigned n);
static NOINLINE int is_even(unsigned n)
{
    return n == 0 ? 1 : is_odd(n - 1);
}
static NOINLINE int is_odd(unsigned n)
{
    return n == 0 ? 0 : is_even(n - 1);
}

static NOINLINE uint64_t op_add(uint64_t a, uint64_t b) { return a + b; }
static NOINLINE uint64_t op_xor(uint64_t a, uint64_t b) { return a ^ (b << 1); }
static NOINLINE uint64_t op_mul(uint64_t a, uint64_t b) { return a * (b | 1); }
static NOINLINE uint64_t op_rot(uint64_t a, uint64_t b) { return (a << 7 | a >> 57) + b; }

static uint64_t (*const table[4])(uint64_t, uint64_t) = {op_add, op_xor, op_mul, op_rot};

static NOINLINE uint64_t dispatch(uint64_t x, unsigned rounds)
{
    for (unsigned i = 0; i < rounds; i++)
        x = table[(x >> 11) & 3](x, i);
    return x;
}

int main(int argc, char **argv)
{
    unsigned scale = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
    uint64_t sum = 0;
    for (unsigned s = 0; s < scale; s++)
        sum += fib(30);
    printf("fib: %llu\n", (unsigned long long)sum);

    sum = 0;
    for (unsigned s = 0; s < scale; s++)
        sum += ack(2, 500) + ack(3, 6);
    printf("ack: %llu\n", (unsigned long long)sum);

    sum = 0;
    for (unsigned s = 0; s < scale; s++) {
        uint64_t seed = s;
        struct node *t = build(15, &seed);
        for (int k = 0; k < 48; k++)
            sum += walk(t, k);
        release(t);
    }
    printf("tree: %llu\n", (unsigned long long)sum);

    unsigned odd = 0;
    for (unsigned s = 0; s < scale * 2000; s++)
        odd += is_odd(1000 + s);
    printf("parity: %u\n", odd);

    printf("table: %llu\n", (unsigned long long)dispatch(scale, scale * 4000000));
    return 0;
}
