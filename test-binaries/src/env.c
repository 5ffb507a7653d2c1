/* env: prints what the program was started with, for tests/cli.rs and
 * tests/binfmt.rs (a64x's -E, -U, -0, -cpu, -s and the binfmt_misc P flag):
 *
 *   env [-a] [-x] [-s] [NAME...]
 *     -a     argc and every argv[i], argv[0] included
 *     -x     AT_HWCAP and AT_HWCAP2 in hex
 *     -s     the size of the [stack] mapping in /proc/self/maps, in KiB
 *     NAME   "NAME=value", or "NAME unset"
 *
 * Without options it prints only what qemu-aarch64 and the x86-64 build print
 * alike, so that it can run in tests/programs.rs. */
//@ args: HOME A64X_TEST NO_SUCH_VARIABLE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static void stack_size(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned long lo, hi;
    if (!f) {
        printf("stack: cannot open /proc/self/maps\n");
        return;
    }
    while (fgets(line, sizeof line, f))
        if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            printf("stack=%luK\n", (hi - lo) / 1024);
    fclose(f);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-a")) {
            printf("argc=%d\n", argc);
            for (int j = 0; j < argc; j++)
                printf("argv[%d]=%s\n", j, argv[j]);
        } else if (!strcmp(argv[i], "-x")) {
            printf("hwcap=%#lx\nhwcap2=%#lx\n", getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
        } else if (!strcmp(argv[i], "-s")) {
            stack_size();
        } else {
            const char *v = getenv(argv[i]);
            if (v)
                printf("%s=%s\n", argv[i], v);
            else
                printf("%s unset\n", argv[i]);
        }
    }
    return 0;
}
