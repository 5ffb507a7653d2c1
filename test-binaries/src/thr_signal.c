// Signals and threads: pthread_kill (tgkill) reaches the thread it names, whose handler records
// it in a __thread variable; a process-directed signal (kill) goes to the one thread that does
// not block it.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#define THREADS 4

static __thread int my_id = -1;
static volatile int usr1_by[THREADS + 1];
static volatile int usr2_by[THREADS + 1];
static volatile int done;
static pthread_barrier_t barrier;

static void on_usr1(int sig) {
    (void)sig;
    usr1_by[my_id]++;
}

static void on_usr2(int sig) {
    (void)sig;
    usr2_by[my_id]++;
}

static void *worker(void *arg) {
    my_id = (int)(intptr_t)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    // Only thread 2 takes SIGUSR2.
    pthread_sigmask(my_id == 2 ? SIG_UNBLOCK : SIG_BLOCK, &set, NULL);
    pthread_barrier_wait(&barrier);
    while (!done)
        sched_yield();
    return NULL;
}

int main(void) {
    my_id = THREADS;
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_barrier_init(&barrier, NULL, THREADS + 1);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    pthread_barrier_wait(&barrier);
    for (int i = THREADS - 1; i >= 0; i--) {
        for (int k = 0; k <= i; k++) {
            int before = usr1_by[i];
            pthread_kill(t[i], SIGUSR1);
            while (usr1_by[i] == before)
                sched_yield();
        }
    }
    raise(SIGUSR1);
    kill(getpid(), SIGUSR2);
    while (usr2_by[2] == 0)
        sched_yield();
    done = 1;
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i <= THREADS; i++)
        printf("%s %d: SIGUSR1 %d, SIGUSR2 %d\n", i == THREADS ? "main" : "thread", i, usr1_by[i], usr2_by[i]);
    return 0;
}
