/* Stress: fork and exec storms from two threads at once. Each thread forks 60 children; half
 * exit at once with a code of their own, half exec this program again (argument "child N"),
 * which exits with N. Every status must come back to the thread that forked it. */
//@ oracle: native
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PER_THREAD 60

static char self[4096];

static void *storm(void *arg) {
    long base = (long)arg;
    long *bad = calloc(1, sizeof *bad);
    for (int i = 0; i < PER_THREAD; i++) {
        int code = (int)((base + i) % 200) + 1;
        pid_t p = fork();
        if (p == 0) {
            if (i % 2)
                _exit(code);
            char n[16];
            snprintf(n, sizeof n, "%d", code);
            execl(self, self, "child", n, (char *)0);
            _exit(255);
        }
        int st = 0;
        if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != code)
            (*bad)++;
    }
    return bad;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "child") == 0)
        return atoi(argv[2]);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    pthread_t a, b;
    pthread_create(&a, 0, storm, (void *)0);
    pthread_create(&b, 0, storm, (void *)100);
    long *ba, *bb;
    pthread_join(a, (void **)&ba);
    pthread_join(b, (void **)&bb);
    printf("children: %d, wrong statuses: %ld\n", 2 * PER_THREAD, *ba + *bb);
    return 0;
}
