// Thread-local storage: __thread variables (initialised and zero) are per thread, pthread
// keys with destructors, and each thread has its own tid.
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THREADS 6

static __thread int tls_init = 42;
static __thread long tls_zero;
static __thread char tls_buf[64];
static pthread_key_t key;
static int destructed[THREADS];
static long results[THREADS];
static long tids[THREADS + 1];

static void destroy(void *p) {
    destructed[(int)(intptr_t)p - 1]++;
}

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    tids[id] = syscall(SYS_gettid);
    long acc = tls_init + tls_zero;
    tls_init = id * 3;
    tls_zero = id;
    for (int i = 0; i < 64; i++)
        tls_buf[i] = (char)(id + i);
    pthread_setspecific(key, (void *)(intptr_t)(id + 1));
    for (int round = 0; round < 50; round++) {
        sched_yield();
        tls_zero += tls_init;
    }
    for (int i = 0; i < 64; i++)
        acc += tls_buf[i];
    acc += tls_zero * 1000 + (long)(intptr_t)pthread_getspecific(key);
    results[id] = acc;
    return NULL;
}

int main(void) {
    pthread_key_create(&key, destroy);
    tls_init = 7;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    tids[THREADS] = syscall(SYS_gettid);
    for (int i = 0; i < THREADS; i++)
        printf("thread %d: %ld, destructor ran %d\n", i, results[i], destructed[i]);
    int distinct = 1;
    for (int i = 0; i <= THREADS; i++)
        for (int j = 0; j < i; j++)
            distinct &= tids[i] != tids[j];
    printf("main tls_init %d tls_zero %ld, tids distinct %d, main tid is pid %d\n", tls_init, tls_zero,
           distinct, tids[THREADS] == getpid());
    return 0;
}
