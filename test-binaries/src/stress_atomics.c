/* Stress: 64 threads on atomics and futexes at once. Each thread adds to a shared counter with
 * atomic fetch-add, with a compare-and-swap loop, inside a pthread mutex (a futex), and through
 * a barrier every round; the totals must be exact. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 64
#define ROUNDS 20
#define PER_ROUND 500

static uint64_t fetch_added, cas_added, locked_added;
static uint64_t plain_per_thread[THREADS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t barrier;

static void *worker(void *arg) {
    long id = (long)arg;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < PER_ROUND; i++) {
            __atomic_fetch_add(&fetch_added, 1, __ATOMIC_RELAXED);
            uint64_t old = __atomic_load_n(&cas_added, __ATOMIC_RELAXED);
            while (!__atomic_compare_exchange_n(&cas_added, &old, old + 2, 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
                ;
            if (i % 8 == 0) {
                pthread_mutex_lock(&lock);
                locked_added += 3;
                pthread_mutex_unlock(&lock);
            }
            plain_per_thread[id]++;
        }
        pthread_barrier_wait(&barrier);
    }
    return 0;
}

int main(void) {
    pthread_t t[THREADS];
    pthread_barrier_init(&barrier, 0, THREADS);
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], 0, worker, (void *)i);
    uint64_t plain = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], 0);
        plain += plain_per_thread[i];
    }
    uint64_t n = (uint64_t)THREADS * ROUNDS * PER_ROUND;
    printf("fetch_add %llu of %llu\n", (unsigned long long)fetch_added, (unsigned long long)n);
    printf("cas %llu of %llu\n", (unsigned long long)cas_added, (unsigned long long)(2 * n));
    uint64_t locked_rounds = (uint64_t)THREADS * ROUNDS * ((PER_ROUND + 7) / 8);
    printf("mutex %llu of %llu\n", (unsigned long long)locked_added, (unsigned long long)(3 * locked_rounds));
    printf("per-thread %llu of %llu\n", (unsigned long long)plain, (unsigned long long)n);
    return 0;
}
