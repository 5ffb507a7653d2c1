/* exit3: prints a line, registers an atexit handler, and exits with status 3
 * through exit(3), so that buffered output must be flushed at exit. */
#include <stdio.h>
#include <stdlib.h>

static void bye(void)
{
    printf("atexit handler ran\n");
}

int main(void)
{
    atexit(bye);
    printf("exiting with status 3"); /* no newline: flushed by exit() */
    exit(3);
}
