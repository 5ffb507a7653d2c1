// /proc/self/maps and /proc/self/auxv describe the program itself: the mapping holding its code
// is r-xp, the one holding a stack variable rw-p, an mmap'd page shows the protection it was
// last given; /proc/<pid>/maps is the same file; auxv holds what getauxval returns.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

static char maps[1 << 16];

static void read_file(const char *path, char *buf, size_t size, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    *len = 0;
    ssize_t n;
    while (*len < size - 1 && (n = read(fd, buf + *len, size - 1 - *len)) > 0)
        *len += n;
    buf[*len] = 0;
    close(fd);
}

// The permissions of the maps line containing `addr`, or "none".
static const char *perms_of(const char *text, uintptr_t addr) {
    static char perms[5];
    const char *line = text;
    while (*line) {
        unsigned long start, end;
        char p[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, p) == 3 && start <= addr && addr < end) {
            memcpy(perms, p, 5);
            return perms;
        }
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return "none";
}

int main(void) {
    size_t len;
    read_file("/proc/self/maps", maps, sizeof maps, &len);
    int stack_var = 1;
    printf("code (main): %s\n", perms_of(maps, (uintptr_t)&main));
    printf("stack variable: %s\n", perms_of(maps, (uintptr_t)&stack_var));
    printf("static data: %s\n", perms_of(maps, (uintptr_t)maps));

    long page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return 1;
    mprotect(m + page, page, PROT_READ);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)getpid());
    read_file(path, maps, sizeof maps, &len);
    printf("/proc/<pid>/maps: mmap'd pages:");
    for (int i = 0; i < 3; i++)
        printf(" %s", perms_of(maps, (uintptr_t)m + i * page));
    printf("\n");
    munmap(m, 3 * page);
    read_file("/proc/self/maps", maps, sizeof maps, &len);
    printf("after munmap: %s\n", perms_of(maps, (uintptr_t)m + page));
    printf("lines end with a newline: %s\n", len > 0 && maps[len - 1] == '\n' ? "yes" : "no");

    static unsigned long auxv[512];
    read_file("/proc/self/auxv", (char *)auxv, sizeof auxv, &len);
    int pagesz = 0, entry = 0, phdr = 0, terminated = 0;
    for (size_t i = 0; i + 1 < len / sizeof(unsigned long); i += 2) {
        unsigned long k = auxv[i], v = auxv[i + 1];
        if (k == AT_NULL) {
            terminated = 1;
            break;
        }
        if (k == AT_PAGESZ)
            pagesz = v == getauxval(AT_PAGESZ);
        if (k == AT_ENTRY)
            entry = v == getauxval(AT_ENTRY);
        if (k == AT_PHDR)
            phdr = v == getauxval(AT_PHDR);
    }
    printf("auxv: AT_PAGESZ %s, AT_ENTRY %s, AT_PHDR %s, ends with AT_NULL %s\n", pagesz ? "matches" : "differs",
           entry ? "matches" : "differs", phdr ? "matches" : "differs", terminated ? "yes" : "no");
    return 0;
}
