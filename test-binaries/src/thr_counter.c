// Eight threads hammer an atomic counter (__atomic_fetch_add) and a mutex-protected counter, then
// pass a token round-robin through a condition variable; pthread_join returns each thread's value.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 8
#define ITERS 20000
#define ROUNDS 40

static long atomic_count;
static long locked_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cond = PTHREAD_COND_INITIALIZER;
static int turn;
static int order[THREADS * ROUNDS];
static int order_len;

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < ITERS; i++) {
        __atomic_fetch_add(&atomic_count, 1, __ATOMIC_RELAXED);
        pthread_mutex_lock(&lock);
        locked_count += 2;
        pthread_mutex_unlock(&lock);
    }
    for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&turn_lock);
        while (turn != id)
            pthread_cond_wait(&turn_cond, &turn_lock);
        order[order_len++] = id;
        turn = (turn + 1) % THREADS;
        pthread_cond_broadcast(&turn_cond);
        pthread_mutex_unlock(&turn_lock);
    }
    return (void *)(intptr_t)(id * 100 + 7);
}

int main(void) {
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    }
    long sum = 0;
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        int e = pthread_join(t[i], &ret);
        printf("join %d: %d -> %ld\n", i, e, (long)(intptr_t)ret);
        sum += (long)(intptr_t)ret;
    }
    int in_order = 1;
    for (int i = 0; i < order_len; i++)
        in_order &= order[i] == i % THREADS;
    printf("atomic %ld (expect %d)\n", atomic_count, THREADS * ITERS);
    printf("locked %ld (expect %d)\n", locked_count, 2 * THREADS * ITERS);
    printf("hand-offs %d in order: %d\n", order_len, in_order);
    printf("sum of returns %ld\n", sum);
    return 0;
}
