/* nacc-wall: walls in one job of nacc's local dispatcher, in one program.
 *
 *   nacc-wall [--pid [--host-net]] [--uid U] EXIT_FILE CAP -- COMMAND [ARG...]
 *
 * What the shell chain of contain.py (unshare -> sh -> setpriv, head, wc, kill) does,
 * with two processes of its own instead of some seven:
 *
 *   nacc-wall (outer)   the launcher's child, leader of the job's process group; with
 *                       --pid it makes new PID, mount and network namespaces (the
 *                       network one not with --host-net), forks PID 1 and waits for it; it ignores SIGINT and SIGTERM as `unshare --fork` does (the
 *                       job gets them itself: it is in the same process group)
 *   nacc-wall (PID 1)   root; mounts the namespace's /proc, runs COMMAND as account U
 *                       (groups cleared, no_new_privs) with its stdout and stderr on a
 *                       pipe, copies the first CAP bytes of that pipe to its own stdout
 *                       (the log, opened by the launcher) as they come, drops the rest
 *                       with one note, reaps every orphan, and when COMMAND ends writes
 *                       its exit code (as sh's $?: 128+signal if killed) atomically to
 *                       EXIT_FILE (whose mtime is the end), kills what the job left
 *                       behind, reads the pipe to its end and exits; the kernel then
 *                       kills anything left in the namespace.
 *
 * --host-net: keep the host's network (else the job gets an empty network namespace).
 * Without --pid nothing is walled in (the service does not run as root): COMMAND runs as
 * this process's user, capped, and nothing is killed at its end.
 * A signal sent to PID 1 (SIGTERM...) is passed on to COMMAND only if COMMAND left the
 * process group (setsid): otherwise it got it already.
 * Exit status: PID 1's (0), or death by the signal that killed it; 125 if the walls
 * could not be made (the reason on stderr, so in the log).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOTE "\n[nacc] output truncated: the log keeps the first %llu bytes\n"

static const int passed_on[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define N_PASSED (sizeof passed_on / sizeof passed_on[0])

static void die(const char *what) {
    dprintf(2, "nacc-wall: %s: %s\n", what, strerror(errno));
    _exit(125);
}

static void write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* a full disk: the rest is lost, the job goes on */
        buf += w;
        n -= (size_t)w;
    }
}

/* EXIT_FILE.tmp, then renamed: a reader sees no file or the whole code. */
static void write_exit(const char *path, int code) {
    char tmp[4096], text[16];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return;
    int n = snprintf(text, sizeof text, "%d\n", code);
    write_all(fd, text, (size_t)n);
    close(fd);
    rename(tmp, path);
}

/* The job: stdin /dev/null, stdout and stderr the pipe, as account uid (unless -1). */
static void exec_job(int out, long uid, char **argv, const sigset_t *mask) {
    sigprocmask(SIG_UNBLOCK, mask, NULL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) die("stdio");
    if (uid >= 0) {
        if (setgroups(0, NULL) || setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) ||
            setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid))
            die("cannot become the job's account");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) die("no_new_privs");
    }
    execvp(argv[0], argv);
    int err = errno;
    dprintf(2, "nacc-wall: failed to execute %s: %s\n", argv[0], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
}

/* PID 1 (or, not walled in, the only nacc-wall): run the job, keep its log, reap. */
static int keeper(const char *exit_file, unsigned long long cap, long uid, int walled,
                  char **argv) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    for (size_t i = 0; i < N_PASSED; i++) sigaddset(&mask, passed_on[i]);
    if (sigprocmask(SIG_BLOCK, &mask, NULL)) die("sigprocmask");
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    int pipefd[2];
    if (sfd < 0) die("signalfd");
    if (pipe2(pipefd, O_CLOEXEC)) die("pipe");
    pid_t job = fork();
    if (job < 0) die("fork");
    if (job == 0) exec_job(pipefd[1], uid, argv, &mask);
    close(pipefd[1]);
    signal(SIGPIPE, SIG_IGN); /* here only: an ignored signal would stay so in the job */

    static char buf[1 << 16];
    unsigned long long kept = 0;
    int open_pipe = 1, running = 1, noted = 0;
    while (open_pipe || running) {
        struct pollfd fds[2] = {{sfd, POLLIN, 0}, {pipefd[0], POLLIN, 0}};
        if (poll(fds, open_pipe ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (open_pipe && fds[1].revents) {
            ssize_t n = read(pipefd[0], buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                open_pipe = 0;
                close(pipefd[0]);
            } else {
                unsigned long long room = cap - kept, take = (unsigned long long)n;
                if (take > room) take = room;
                write_all(1, buf, (size_t)take);
                kept += take;
                if (take < (unsigned long long)n && !noted) {
                    dprintf(1, NOTE, cap);
                    noted = 1;
                }
            }
        }
        if (!fds[0].revents) continue;
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof si) != sizeof si) continue;
        if (si.ssi_signo != SIGCHLD) {
            if (running && getpgid(job) != getpgrp()) kill(job, (int)si.ssi_signo);
            continue;
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid != job || !running) continue;
            running = 0;
            write_exit(exit_file, WIFEXITED(status) ? WEXITSTATUS(status)
                                                    : 128 + WTERMSIG(status));
            if (walled) kill(-1, SIGKILL); /* what the job left: it must not hold the pipe */
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    int walled = 0, network = 0, i = 1;
    long uid = -1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--pid") == 0) walled = 1;
        else if (strcmp(argv[i], "--host-net") == 0) network = 1;
        else if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc) uid = strtol(argv[++i], NULL, 10);
        else break;
    }
    int rest = argc - i; /* EXIT_FILE CAP -- COMMAND... (the "--" of options is optional) */
    if (i < argc && strcmp(argv[i], "--") == 0) i++, rest--;
    if (rest < 4 || strcmp(argv[i + 2], "--") != 0 || uid < -1) {
        dprintf(2, "usage: nacc-wall [--pid [--host-net]] [--uid U] EXIT_FILE CAP -- COMMAND...\n");
        return 125;
    }
    const char *exit_file = argv[i];
    char *end;
    unsigned long long cap = strtoull(argv[i + 1], &end, 10);
    if (*end || cap == 0) {
        dprintf(2, "nacc-wall: CAP must be a positive number of bytes, got %s\n", argv[i + 1]);
        return 125;
    }
    char **command = argv + i + 3;
    if (!walled) return keeper(exit_file, cap, uid, 0, command);

    if (unshare(CLONE_NEWPID | CLONE_NEWNS | (network ? 0 : CLONE_NEWNET))) die("unshare");
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("mount --make-rprivate /");
    pid_t init = fork();
    if (init < 0) die("fork");
    if (init == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* the outer killed: the namespace goes too */
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL))
            die("mount /proc");
        _exit(keeper(exit_file, cap, uid, 1, command));
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    int status;
    while (waitpid(init, &status, 0) < 0)
        if (errno != EINTR) die("waitpid");
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    kill(getpid(), sig);
    return 128 + sig;
}
