// fork while other threads start, exit, allocate and free: the child, in which only the forking
// thread lives on, must not find a lock of the VM (its address space, its malloc, its runtime)
// held by a thread it does not have. python's test_threading forks while a thread exits.
// `fork_threads N`: N forks while two threads churn; tests/process.rs runs it under a64x alone,
// since qemu-aarch64 7.2 itself deadlocks on it. Without arguments (tests/programs.rs, against
// qemu): 3 forks and no churn.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;

static void *short_lived(void *arg) {
    char *p = malloc(64 + (size_t)arg);
    memset(p, 1, 64);
    free(p);
    return NULL;
}

// Keeps threads starting and ending, and the address space changing, until told to stop.
static void *churn(void *arg) {
    long n = 0;
    while (!atomic_load(&stop)) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, (void *)(n++ % 4096)) == 0) pthread_join(t, NULL);
        void *m = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED) munmap(m, 65536);
    }
    return arg;
}

int main(int argc, char **argv) {
    int forks = argc > 1 ? atoi(argv[1]) : 3;
    pthread_t a, b;
    if (argc > 1) {
        pthread_create(&a, NULL, churn, NULL);
        pthread_create(&b, NULL, churn, NULL);
    }
    int ok = 0;
    for (int i = 0; i < forks; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            // The child allocates, maps memory and starts a thread of its own before exiting.
            char *p = malloc(1000);
            void *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            pthread_t t;
            int r = pthread_create(&t, NULL, short_lived, NULL);
            if (r == 0) pthread_join(t, NULL);
            _exit(p != NULL && m != MAP_FAILED && r == 0 ? 7 : 8);
        }
        int st = 0;
        if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7) ok++;
    }
    atomic_store(&stop, 1);
    if (argc > 1) {
        pthread_join(a, NULL);
        pthread_join(b, NULL);
    }
    printf("%d of %d children exited 7\n", ok, forks);
    return 0;
}
