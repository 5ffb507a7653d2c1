// epoll_wait with thousands of ready descriptors: every ready one up to maxevents comes back in
// one call (python's selectors test registers 10,000 at once), in the order they became ready;
// then maxevents smaller than the ready count, and level-triggered readiness after a read.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#define COUNT 3000

int main(void) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int count = COUNT;
    if (rl.rlim_cur < COUNT + 64) {
        rl.rlim_cur = rl.rlim_max < COUNT + 64 ? rl.rlim_max : COUNT + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < COUNT + 64) count = (int)rl.rlim_cur - 64;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int *fds = calloc(count, sizeof *fds);
    for (int i = 0; i < count; i++) {
        fds[i] = eventfd(1, EFD_NONBLOCK);
        if (fds[i] < 0) {
            perror("eventfd");
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x100000000ull + i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) {
            perror("epoll_ctl");
            return 1;
        }
    }
    struct epoll_event *evs = calloc(count + 10, sizeof *evs);
    int n = epoll_wait(ep, evs, count + 10, 1000);
    long sum = 0;
    int in_order = 1;
    for (int i = 0; i < n; i++) {
        sum += (long)(evs[i].data.u64 - 0x100000000ull);
    }
    for (int i = 0; i < n; i++) {  // an early exit: no vectorised loop (a64x lacks SMINV)
        if (evs[i].data.u64 != 0x100000000ull + i) {
            in_order = 0;
            break;
        }
    }
    printf("all ready: %d, in order %d, sum ok %d\n", n == count, in_order, sum == (long)count * (count - 1) / 2);
    n = epoll_wait(ep, evs, 100, 0);
    printf("maxevents 100: %d\n", n);
    uint64_t v;
    for (int i = 0; i < count; i += 2) {
        if (read(fds[i], &v, sizeof v) != sizeof v) return 1;
    }
    n = epoll_wait(ep, evs, count, 0);
    printf("after reading half: %d\n", n == count - (count + 1) / 2);
    return 0;
}
