/* Four threads call 512 small functions, each thread in its own order, so that at any moment
 * some threads translate code no thread has run yet while others take translations another
 * thread made. Under `--profile` every translation is recorded with its guest words: a thread
 * placing another's translation once waited for the profile's records while holding nothing,
 * and a translating thread held the address space while waiting for the records: node
 * deadlocked that way (tests/profile.rs runs this under --profile). */
#include <pthread.h>
#include <stdio.h>

#define THREADS 4
#define ROUNDS 3

#define F(n) \
    __attribute__((noinline)) static unsigned f##n(unsigned x) { return (x ^ (n)) * (2u * (n) + 1u) + ((n) >> 3); }
#define F8(n) F(n##0) F(n##1) F(n##2) F(n##3) F(n##4) F(n##5) F(n##6) F(n##7)
#define F64(n) F8(n##0) F8(n##1) F8(n##2) F8(n##3) F8(n##4) F8(n##5) F8(n##6) F8(n##7)
F64(1) F64(2) F64(3) F64(4) F64(5) F64(6) F64(7) F64(10)

#define P(n) f##n,
#define P8(n) P(n##0) P(n##1) P(n##2) P(n##3) P(n##4) P(n##5) P(n##6) P(n##7)
#define P64(n) P8(n##0) P8(n##1) P8(n##2) P8(n##3) P8(n##4) P8(n##5) P8(n##6) P8(n##7)
static unsigned (*const funcs[])(unsigned) = {P64(1) P64(2) P64(3) P64(4) P64(5) P64(6) P64(7) P64(10)};
#define NFUNCS (sizeof funcs / sizeof funcs[0])

static void *worker(void *arg) {
    unsigned id = (unsigned)(unsigned long)arg, x = id;
    for (unsigned r = 0; r < ROUNDS; r++)
        for (unsigned i = 0; i < NFUNCS; i++) {
            /* Thread k starts a quarter further on and walks with its own odd stride. */
            unsigned j = (i * (2 * id + 1) + id * NFUNCS / THREADS) % NFUNCS;
            x = funcs[j](x);
        }
    return (void *)(unsigned long)x;
}

int main(void) {
    pthread_t t[THREADS];
    for (unsigned long i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) return 1;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        printf("thread %d: %08lx\n", i, (unsigned long)r);
    }
    return 0;
}
