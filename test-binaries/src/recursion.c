/* recursion: naive fib, Ackermann (small), towers of Hanoi, mutual
 * recursion, a recursive permutation generator and n-queens. */
#include <stdio.h>

static unsigned long fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static unsigned long ack(unsigned long m, unsigned long n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static unsigned long moves;
static void hanoi(int n, char from, char to, char via)
{
    if (n == 0)
        return;
    hanoi(n - 1, from, via, to);
    moves++;
    if (n >= 9)
        printf("move disk %d %c -> %c\n", n, from, to);
    hanoi(n - 1, via, to, from);
}

static int is_odd(unsigned n);
static int is_even(unsigned n)
{
    return n == 0 ? 1 : is_odd(n - 1);
}
static int is_odd(unsigned n)
{
    return n == 0 ? 0 : is_even(n - 1);
}

static int perm_count;
static void permute(char *s, int k, int n)
{
    if (k == n) {
        if (perm_count++ < 8)
            printf("%s ", s);
        return;
    }
    for (int i = k; i < n; i++) {
        char t = s[k];
        s[k] = s[i];
        s[i] = t;
        permute(s, k + 1, n);
        t = s[k];
        s[k] = s[i];
        s[i] = t;
    }
}

static int queens(int n, int row, unsigned cols, unsigned d1, unsigned d2)
{
    if (row == n)
        return 1;
    int count = 0;
    for (int c = 0; c < n; c++) {
        unsigned a = 1u << c, b = 1u << (row + c), d = 1u << (row - c + n - 1);
        if ((cols & a) || (d1 & b) || (d2 & d))
            continue;
        count += queens(n, row + 1, cols | a, d1 | b, d2 | d);
    }
    return count;
}

int main(void)
{
    for (unsigned n = 0; n <= 27; n += 3)
        printf("fib(%u) = %lu\n", n, fib(n));
    for (unsigned long m = 0; m <= 3; m++)
        for (unsigned long n = 0; n <= 4; n++)
            printf("ack(%lu,%lu) = %lu\n", m, n, ack(m, n));
    hanoi(12, 'A', 'C', 'B');
    printf("hanoi(12): %lu moves\n", moves);
    printf("is_even(10001) = %d, is_odd(777) = %d\n", is_even(10001), is_odd(777));
    char s[] = "abcdef";
    permute(s, 0, 6);
    printf("\n%d permutations\n", perm_count);
    for (int n = 1; n <= 9; n++)
        printf("queens(%d) = %d\n", n, queens(n, 0, 0, 0, 0));
    return 0;
}
