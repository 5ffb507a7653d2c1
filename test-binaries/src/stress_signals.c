/* Stress: a storm of signals into a thread spinning in a tight loop (chained translated code,
 * no system call): 20,000 real-time signals, queued (never merged), each must run the handler
 * exactly once; then standard signals, each acknowledged (through a semaphore) before the
 * next, likewise. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RT_SIGNALS 20000
#define STD_SIGNALS 2000

static volatile uint64_t handled_rt, handled_usr, spins;
static volatile int stop, target_tid;

static void on_rt(int sig) { (void)sig; handled_rt++; }
/* The handler wakes the sender (sem_post is async-signal-safe): a sender spinning while it
 * waits would take the core the spinner needs to run its handler. */
static sem_t acknowledged;
static void on_usr(int sig) { (void)sig; handled_usr++; sem_post(&acknowledged); }

static void *spinner(void *arg) {
    (void)arg;
    target_tid = syscall(SYS_gettid);
    while (!stop)
        spins++; /* a loop of a few instructions, chained to itself */
    return 0;
}

int main(void) {
    sem_init(&acknowledged, 0, 0);
    signal(SIGRTMIN, on_rt);
    signal(SIGUSR1, on_usr);
    pthread_t t;
    pthread_create(&t, 0, spinner, 0);
    while (!target_tid)
        ;
    pid_t pid = getpid();
    int sent = 0;
    while (sent < RT_SIGNALS) {
        if (syscall(SYS_tgkill, pid, target_tid, SIGRTMIN) == 0)
            sent++;
        else if (errno == EAGAIN) /* the queue is full: let the thread catch up */
            sched_yield();
        else
            break;
    }
    while (handled_rt < (uint64_t)sent)
        sched_yield();
    for (int i = 0; i < STD_SIGNALS; i++) {
        syscall(SYS_tgkill, pid, target_tid, SIGUSR1);
        while (sem_wait(&acknowledged) != 0 && errno == EINTR)
            ;
    }
    stop = 1;
    pthread_join(t, 0);
    printf("real-time: sent %d, handled %llu\n", sent, (unsigned long long)handled_rt);
    printf("standard: handled %llu of %d\n", (unsigned long long)handled_usr, STD_SIGNALS);
    printf("the loop ran: %s\n", spins > 0 ? "yes" : "no");
    return 0;
}
