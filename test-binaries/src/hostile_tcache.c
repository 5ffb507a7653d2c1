// Hostile guest: read the persistent translation cache's key (which would let it forge
// translations that a later a64x runs as host code) and overwrite the cache's files.
//   hostile_tcache CACHE_DIR [truncate]
// With "truncate", it first cuts every cache file short (its own included, which the VM has
// mapped and reads the rest of this run's saved translations from): the VM must go on.
// Each attempt to read the key prints "contained (...)" when it fails and "ESCAPED (...)" when
// it read the key's 16 bytes. Overwriting the cache files is allowed (they are the user's files)
// and prints "forged N files": tests/tcache.rs checks that the next run rejects what it wrote.
//@ aarch64-only
//@ hostile
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dir[4096];

static void path(char *out, const char *name) {
    snprintf(out, 4096, "%s/%s", dir, name);
}

/* Read 16 bytes from `fd` (closing it): the key, if that works. */
static void verdict(const char *what, int fd) {
    char k[16];
    if (fd < 0) {
        printf("%s: contained (%s)\n", what, strerror(errno));
        return;
    }
    ssize_t n = read(fd, k, sizeof k);
    int e = errno;
    close(fd);
    if (n == 16)
        printf("%s: ESCAPED (read the key)\n", what);
    else
        printf("%s: contained (read %zd: %s)\n", what, n, strerror(e));
}

/* Cut every cache file in the directory to 100 bytes: how many. */
static int truncate_all(void) {
    int n = 0;
    DIR *dd = opendir(dir);
    struct dirent *e;
    char p[4096];
    while (dd && (e = readdir(dd))) {
        size_t l = strlen(e->d_name);
        if (l < 3 || strcmp(e->d_name + l - 3, ".tc") != 0)
            continue;
        path(p, e->d_name);
        if (truncate(p, 100) == 0)
            n++;
    }
    if (dd)
        closedir(dd);
    return n;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    snprintf(dir, sizeof dir, "%s", argv[1]);
    if (argc > 2 && strcmp(argv[2], "truncate") == 0)
        printf("truncated %d files\n", truncate_all());
    char key[4096], other[4096], fdpath[64];
    path(key, "key");
    verdict("open", open(key, O_RDONLY));
    verdict("open read-write", open(key, O_RDWR));
    path(other, "guest-link");
    unlink(other);
    if (link(key, other) == 0) {
        verdict("hard link", open(other, O_RDONLY));
        unlink(other);
    } else {
        printf("hard link: contained (link: %s)\n", strerror(errno));
    }
    path(other, "guest-symlink");
    unlink(other);
    symlink(key, other);
    verdict("symlink", open(other, O_RDONLY));
    unlink(other);
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    verdict("openat of the directory", openat(d, "key", O_RDONLY));
    close(d);
    int p = open(key, O_PATH);
    if (p >= 0) {
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", p);
        verdict("O_PATH reopened", open(fdpath, O_RDONLY));
        close(p);
    } else {
        printf("O_PATH reopened: contained (%s)\n", strerror(errno));
    }
    path(other, "key-moved");
    if (rename(key, other) == 0) {
        verdict("renamed", open(other, O_RDONLY));
        rename(other, key);
    } else {
        printf("renamed: contained (rename: %s)\n", strerror(errno));
    }
    struct {
        unsigned long long flags, mode, resolve;
    } how = {O_RDONLY, 0, 0};
    verdict("openat2", (int)syscall(SYS_openat2, AT_FDCWD, key, &how, sizeof how));
    /* The translations themselves: overwrite every entry's bytes past the header. */
    int forged = 0;
    DIR *dd = opendir(dir);
    struct dirent *e;
    while (dd && (e = readdir(dd))) {
        size_t l = strlen(e->d_name);
        if (l < 3 || strcmp(e->d_name + l - 3, ".tc") != 0)
            continue;
        path(other, e->d_name);
        int fd = open(other, O_WRONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0)
            continue;
        char junk[4096];
        memset(junk, 0xcc, sizeof junk); /* int3 */
        for (off_t at = 64; at + 32 < st.st_size; at += 1024)
            pwrite(fd, junk, 16, at);
        close(fd);
        forged++;
    }
    if (dd)
        closedir(dd);
    printf("forged %d files\n", forged);
    return 0;
}
