//@ cflags: -g
/* The program tests/gdb.rs debugs with gdb-multiarch under a64x -g and qemu-aarch64 -g: a
 * function with a local to read, a global to watch, two threads to list, and (with the argument
 * `crash`) a store through a bad pointer to catch. Without arguments it runs to the end, which
 * tests/programs.rs checks like every other program. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

volatile int counter;

static int square(int x) {
    int result = x * x;
    return result;
}

static void *worker(void *arg) {
    long id = (long)arg;
    __atomic_add_fetch(&counter, (int)id + 1, __ATOMIC_SEQ_CST);
    return 0;
}

int main(int argc, char **argv) {
    int total = 0;
    for (int i = 1; i <= 3; i++) {
        total += square(i);
        counter = total;
    }
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], 0, worker, (void *)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], 0);
    printf("total %d counter %d\n", total, counter);
    if (argc > 1 && strcmp(argv[1], "crash") == 0) {
        volatile int *p = (volatile int *)16;
        *p = 1;
    }
    return 0;
}
