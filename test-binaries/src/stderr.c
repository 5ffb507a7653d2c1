/* stderr: interleaves writes to stdout and stderr (unbuffered stderr,
 * explicit flushes of stdout) and returns 42 from main. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("to stdout 1\n");
    fflush(stdout);
    fprintf(stderr, "to stderr 1: %d %s\n", 17, "error-ish");
    for (int i = 0; i < 5; i++)
        fprintf(i % 2 ? stderr : stdout, "line %d on %s\n", i, i % 2 ? "stderr" : "stdout");
    fflush(stdout);
    static const char msg[] = "raw write(2, ...)\n";
    if (write(2, msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1))
        return 1;
    errno = ENOENT;
    perror("perror with ENOENT");
    printf("returning 42\n");
    return 42;
}
