/* wc: counts lines, words and bytes of stdin and the most frequent byte,
 * like `wc`; the test harness feeds it data/lorem.txt on stdin. */
//@ stdin: data/lorem.txt
#include <ctype.h>
#include <stdio.h>

int main(void)
{
    unsigned long lines = 0, words = 0, bytes = 0, freq[256] = {0};
    int c, in_word = 0;
    while ((c = getchar()) != EOF) {
        bytes++;
        freq[c]++;
        if (c == '\n')
            lines++;
        if (isspace(c)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    int best = 0;
    for (int i = 1; i < 256; i++)
        if (freq[i] > freq[best])
            best = i;
    printf("%lu %lu %lu\n", lines, words, bytes);
    printf("most frequent byte: %d (%lu times)\n", best, freq[best]);
    return 0;
}
