// Thread exits: the main thread leaves with pthread_exit (the exit syscall) while a worker goes
// on and joins it (CLONE_CHILD_CLEARTID on the main thread), then a thread calls exit(3)
// (exit_group) while others run: the process ends with status 3.
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#define SPINNERS 4

static pthread_t main_thread;
static pthread_barrier_t barrier;
static volatile long spins[SPINNERS];

static void *spinner(void *arg) {
    volatile long *n = arg;
    pthread_barrier_wait(&barrier);
    for (;;) {
        ++*n;
        if ((*n & 0xfff) == 0)
            sched_yield();
    }
    return NULL;
}

static void *worker(void *arg) {
    (void)arg;
    void *ret;
    int e = pthread_join(main_thread, &ret);
    printf("joined main: %d, returned %ld\n", e, (long)ret);
    pthread_barrier_init(&barrier, NULL, SPINNERS + 1);
    pthread_t t[SPINNERS];
    for (int i = 0; i < SPINNERS; i++)
        pthread_create(&t[i], NULL, spinner, (void *)&spins[i]);
    pthread_barrier_wait(&barrier);
    printf("spinners started; exiting with 3\n");
    fflush(stdout);
    exit(3);
}

int main(void) {
    main_thread = pthread_self();
    pthread_t w;
    printf("main: starting worker\n");
    fflush(stdout);
    pthread_create(&w, NULL, worker, NULL);
    pthread_exit((void *)5);
}
