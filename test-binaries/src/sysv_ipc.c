// System V IPC and process attributes as PostgreSQL and other servers use them: shared memory
// attached anywhere, at a fixed address, read-only, over a mapping (SHM_REMAP), twice, across a
// fork, cut up by munmap and mprotect before shmdt; semaphores; prctl's parent-death signal,
// name, no_new_privs and child subreaper. Prints contents and errno values, never addresses.
// qemu 7.2 attaches with SHM_REMAP and no address, where Linux says EINVAL (ipc/shm.c
// `do_shmat`; shmat(2)), and refuses PR_SET_CHILD_SUBREAPER (Linux has it since 3.4): the host
// build is the oracle.
//@ oracle: native
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096L

static sigjmp_buf back;

static void on_segv(int sig) {
    (void)sig;
    siglongjmp(back, 1);
}

/// Whether a byte store to `p` faults.
static int store_faults(volatile char *p) {
    if (sigsetjmp(back, 1) == 0) {
        *p = 'w';
        return 0;
    }
    return 1;
}

static const char *result(void *r) {
    static char buf[64];
    if (r != (void *)-1)
        return "ok";
    snprintf(buf, sizeof buf, "%s", strerrorname_np(errno));
    return buf;
}

static int rc(int r) {
    return r == 0 ? 0 : -errno;
}

/// Whether /proc/self/maps shows a shared System V mapping with permissions `perms`.
static int maps_show(const char *perms) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "/SYSV") && strstr(line, perms))
            found = 1;
    if (f)
        fclose(f);
    return found;
}

static void shared_memory(void) {
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    printf("shmget: %s\n", id >= 0 ? "ok" : strerrorname_np(errno));
    char *p = shmat(id, NULL, 0);
    printf("shmat anywhere: %s, page aligned %d\n", result(p), ((long)p & (PAGE - 1)) == 0);
    strcpy(p, "written through the first attachment");
    p[10000 - 1] = 'z';
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("segsz %zu nattch %lu\n", ds.shm_segsz, (unsigned long)ds.shm_nattch);
    printf("maps show rw-s: %d\n", maps_show("rw-s"));

    char *q = shmat(id, NULL, 0);
    printf("second attachment: %s, distinct %d, sees \"%s\" and %c\n", result(q), q != p, q, q[10000 - 1]);
    q[0] = 'W';
    printf("first sees the second's write: %c\n", p[0]);

    pid_t child = fork();
    if (child == 0) {
        strcpy(p + 100, "from the child");
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("after fork: \"%s\"\n", p + 100);

    char *r = shmat(id, NULL, SHM_RDONLY);
    printf("read-only attachment: %s, reads \"%s\"", result(r), r + 100);
    printf(", store faults %d\n", store_faults(r));
    printf("maps show r--s: %d\n", maps_show("r--s"));

    // A fixed address: free, then in use (with and without SHM_REMAP), unaligned, rounded.
    char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(m, 4 * PAGE);
    char *f = shmat(id, m, 0);
    printf("shmat at a free address: %s, there %d, sees \"%s\"\n", result(f), f == m, f + 100);
    printf("shmat at it again: %s\n", result(shmat(id, m, 0)));
    printf("shmat unaligned: %s\n", result(shmat(id, m + 1, 0)));
    printf("shmat unaligned, rounded, in use: %s\n", result(shmat(id, m + 1, SHM_RND)));
    char *nowhere = shmat(id, NULL, SHM_REMAP);
    printf("shmat with SHM_REMAP and no address: %s\n", result(nowhere));
    if (nowhere != (void *)-1)
        shmdt(nowhere);
    char *a = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(a, 'x', 3 * PAGE);
    char *over = shmat(id, a, SHM_REMAP);
    printf("shmat over a mapping with SHM_REMAP: %s, there %d, sees \"%s\"\n", result(over), over == a, a + 100);

    // Detach: twice, and an address that is not an attachment's start.
    int first = rc(shmdt(f)), second = rc(shmdt(f)), inside = rc(shmdt(q + PAGE));
    printf("shmdt: %d, again: %d, inside: %d\n", first, second, inside);
    char *again = mmap(f, 3 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("the detached range is free: %d\n", again == f);
    munmap(again, 3 * PAGE);

    // An attachment whose first page was unmapped: shmdt of its start detaches the rest.
    printf("munmap of the first page: %d\n", rc(munmap(q, PAGE)));
    printf("shmdt of the cut attachment: %d", rc(shmdt(q)));
    printf(", its last page faults %d\n", store_faults(q + 2 * PAGE));
    // One split by mprotect: every piece goes.
    printf("mprotect of the middle page: %d\n", rc(mprotect(over + PAGE, PAGE, PROT_READ)));
    printf("store to the read-only middle faults %d", store_faults(over + PAGE));
    printf(", to the last %d\n", store_faults(over + 2 * PAGE));
    printf("shmdt of the split attachment: %d\n", rc(shmdt(over)));
    again = mmap(over, 3 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("its range is free: %d\n", again == over);

    // Removal waits for the last detach.
    shmctl(id, IPC_RMID, NULL);
    shmctl(id, IPC_STAT, &ds);
    printf("after IPC_RMID: nattch %lu, still reads \"%s\"\n", (unsigned long)ds.shm_nattch, p + 100);
    first = rc(shmdt(p));
    second = rc(shmdt(r));
    printf("shmdt: %d %d\n", first, second);
    printf("IPC_STAT after the last detach: %d\n", rc(shmctl(id, IPC_STAT, &ds)));
    printf("shmat of a removed segment: %s\n", result(shmat(id, NULL, 0)));
    printf("shmat of a bad id: %s\n", result(shmat(-1, NULL, 0)));
}

union semun {
    int val;
    unsigned short *array;
};

static void semaphores(void) {
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    unsigned short set[3] = {1, 2, 3}, got[3] = {0};
    printf("semctl SETALL: %d\n", rc(semctl(id, 0, SETALL, (union semun){.array = set})));
    struct sembuf ops[2] = {{0, 5, 0}, {2, -3, IPC_NOWAIT}};
    printf("semop: %d\n", rc(semop(id, ops, 2)));
    struct sembuf block = {2, -1, IPC_NOWAIT};
    printf("semop that would block: %d\n", rc(semop(id, &block, 1)));
    semctl(id, 0, GETALL, (union semun){.array = got});
    printf("GETALL %u %u %u, GETVAL(1) %d\n", got[0], got[1], got[2], semctl(id, 1, GETVAL));
    printf("SETVAL: %d", rc(semctl(id, 1, SETVAL, (union semun){.val = 9})));
    printf(", GETVAL(1) %d\n", semctl(id, 1, GETVAL));
    printf("IPC_RMID: %d", rc(semctl(id, 0, IPC_RMID)));
    printf(", then GETVAL: %d\n", semctl(id, 0, GETVAL) < 0 ? -errno : 0);
}

static void process_attributes(void) {
    int sig = -1;
    printf("PR_SET_PDEATHSIG: %d\n", rc(prctl(PR_SET_PDEATHSIG, SIGUSR1)));
    prctl(PR_GET_PDEATHSIG, &sig);
    printf("PR_GET_PDEATHSIG: %d\n", sig);
    char name[16] = {0};
    prctl(PR_SET_NAME, "ipc-test-name");
    prctl(PR_GET_NAME, name);
    printf("name: %s\n", name);
    printf("PR_SET_NO_NEW_PRIVS: %d", rc(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)));
    printf(", get %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    int reaper = -1;
    printf("PR_SET_CHILD_SUBREAPER: %d\n", rc(prctl(PR_SET_CHILD_SUBREAPER, 1)));
    prctl(PR_GET_CHILD_SUBREAPER, &reaper);
    printf("PR_GET_CHILD_SUBREAPER: %d\n", reaper);
    printf("PR_GET_DUMPABLE: %d\n", prctl(PR_GET_DUMPABLE));
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    shared_memory();
    semaphores();
    process_attributes();
    return 0;
}
