/* cat: prints argc, argv[1..] and whether an environment is present, then
 * copies each file named on the command line to stdout with read(2)/write(2)
 * (and once more with stdio, numbering lines). A missing file is reported on
 * stderr and makes the exit status 1.
 *
 * The test harness runs with the working directory test-binaries/. */
//@ args: data/lorem.txt data/no-such-file.txt data/small.txt
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp)
{
    int envc = 0, status = 0;
    while (envp[envc])
        envc++;
    printf("argc=%d argv0-nonempty=%d envp-nonempty=%d\n", argc, argv[0] && argv[0][0], envc > 0);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=\"%s\"\n", i, argv[i]);
    printf("argv[argc]=%s\n", argv[argc] ? "non-null" : "NULL");
    fflush(stdout);
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "cat: %s: cannot open\n", argv[i]);
            status = 1;
            continue;
        }
        char buf[100]; /* small, so that there are many reads */
        ssize_t n, total = 0;
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            if (write(1, buf, (size_t)n) != n)
                return 2;
            total += n;
        }
        close(fd);
        printf("-- %s: %zd bytes\n", argv[i], total);
        FILE *f = fopen(argv[i], "r");
        if (!f)
            return 3;
        char line[256];
        int lineno = 0;
        while (fgets(line, sizeof line, f)) {
            lineno++;
            if (lineno % 4 == 1)
                printf("%4d: %s", lineno, line);
        }
        printf("-- %d lines, lseek end = %ld\n", lineno, (long)lseek(fileno(f), 0, SEEK_END));
        fclose(f);
    }
    return status;
}
