// execve from a forked child: host programs (/bin/echo, execvp's PATH search), a #! script whose
// interpreter is a host program, system() and posix_spawn(), and the errors (ENOENT, EACCES,
// ENOEXEC). Under qemu-aarch64 (no binfmt_misc) only host programs can be exec'd, so exec of an
// AArch64 program is tested by tests/process.rs through the extra modes:
//   proc_exec run PATH ARGV0 ARGS...   fork, execv(PATH, {ARGV0, ARGS...}), print how it ended
//   proc_exec dupall PATH ARGV0 ARGS... the same after dup2(2, fd) onto every descriptor from 3
//                                       to the limit (as `exec 3>&1` in a shell, debconf's way)
//   proc_exec show ARGS...             print argv
//   proc_exec cat FILE                 copy FILE to stdout
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void report(const char *what, int status) {
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("%s: other status\n", what);
    fflush(stdout);
}

static const char *errname(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case ENOTDIR: return "ENOTDIR";
    default: return "other";
    }
}

// fork; the child execv's path with argv (exit 100 + errno class if that fails); wait and report.
static void run(const char *what, const char *path, char *const argv[]) {
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) {
        perror("fork");
        exit(1);
    }
    if (p == 0) {
        execv(path, argv);
        printf("%s: execv failed: %s\n", what, errname(errno));
        fflush(stdout);
        _exit(127);
    }
    int status;
    waitpid(p, &status, 0);
    report(what, status);
}

// Write a file with `mode` in /tmp; returns its path (static buffer per call site).
static char *temp_file(char *path, const char *content, mode_t mode) {
    strcpy(path, "/tmp/a64x-proc_exec-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content) || fchmod(fd, mode) != 0) {
        perror("temp file");
        exit(1);
    }
    close(fd);
    return path;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "run") == 0) {
        run("run", argv[2], argv + 3);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "dupall") == 0) {
        long max = sysconf(_SC_OPEN_MAX);
        int taken = 0;
        for (int fd = 3; fd < max && fd < 4096; fd++)
            taken += dup2(2, fd) == fd;
        printf("dup2 onto %d descriptors\n", taken);
        run("dupall", argv[2], argv + 3);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "show") == 0) {
        for (int i = 0; i < argc; i++)
            printf("argv[%d] = %s\n", i, argv[i]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "cat") == 0) {
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) {
            perror(argv[2]);
            return 1;
        }
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            fwrite(buf, 1, n, stdout);
        return 0;
    }

    char *echo[] = {"echo", "hello", "from", "/bin/echo", NULL};
    run("/bin/echo", "/bin/echo", echo);

    // execvp searches PATH itself, calling execve on each candidate until one works.
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char *a[] = {"echo", "found", "through", "PATH", NULL};
        execvp("echo", a);
        _exit(127);
    }
    int status;
    waitpid(p, &status, 0);
    report("execvp echo", status);

    char script[64], plain[64], junk[64];
    temp_file(script, "#!/bin/sh\necho \"script says: $1 $2\"\nexit 4\n", 0755);
    char *sargv[] = {"script", "one", "two", NULL};
    run("#!/bin/sh script", script, sargv);

    temp_file(plain, "#!/bin/sh\necho not executable\n", 0644);
    char *pargv[] = {"plain", NULL};
    run("mode 0644 file", plain, pargv);

    temp_file(junk, "\001\002\003 this is no program\n", 0755);
    char *jargv[] = {"junk", NULL};
    run("unknown format", junk, jargv);

    char *nargv[] = {"missing", NULL};
    run("missing file", "/nonexistent/a64x-program", nargv);
    run("a directory", "/tmp", nargv);

    fflush(stdout);
    status = system("echo via system; exit 3");
    report("system()", status);

    fflush(stdout);
    char *spargv[] = {"echo", "via", "posix_spawn", NULL};
    pid_t sp;
    int r = posix_spawn(&sp, "/bin/echo", NULL, NULL, spargv, environ);
    if (r == 0) {
        waitpid(sp, &status, 0);
        report("posix_spawn", status);
    } else {
        printf("posix_spawn failed: %s\n", errname(r));
    }

    unlink(script);
    unlink(plain);
    unlink(junk);
    return 0;
}
