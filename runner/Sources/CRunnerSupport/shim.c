#define _GNU_SOURCE
#include "CRunnerSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

static const char default_search_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// ---------------------------------------------------------------------------
// spawn
//
// Everything between fork and exec runs in the child of a process that may have
// been in any state, so it sticks to async-signal-safe calls: no malloc, no stdio.

static void child_fail(int report_fd, int stage) {
    int message[2] = { errno, stage };
    ssize_t ignored = write(report_fd, message, sizeof message);
    (void)ignored;
    _exit(127);
}

// A file without '#!' that the kernel refuses (ENOEXEC) is run by /bin/sh, as
// execvp does; the argument vector is rebuilt on the stack.
static void exec_script(const char *path, char *const argv[], char *const envp[]) {
    size_t argc = 0;
    while (argv[argc] != NULL) argc++;
    if (argc > 4096) return;
    char *script_argv[argc + 3];
    size_t used = 0;
    script_argv[used++] = (char *)"/bin/sh";
    script_argv[used++] = (char *)path;
    for (size_t i = 1; i < argc; i++) script_argv[used++] = argv[i];
    script_argv[used] = NULL;
    execve("/bin/sh", script_argv, envp);
    errno = ENOEXEC;
}

static void exec_with_search(const char *file, char *const argv[], char *const envp[], const char *path) {
    if (file[0] == '\0') {
        errno = ENOENT;
        return;
    }
    if (strchr(file, '/') != NULL) {
        execve(file, argv, envp);
        if (errno == ENOEXEC) exec_script(file, argv, envp);
        return;
    }
    size_t file_length = strlen(file);
    if (file_length > NAME_MAX) {
        errno = ENAMETOOLONG;
        return;
    }
    char candidate[PATH_MAX + NAME_MAX + 2];
    int saw_eacces = 0;
    const char *cursor = path;
    for (;;) {
        const char *colon = strchr(cursor, ':');
        size_t dir_length = colon != NULL ? (size_t)(colon - cursor) : strlen(cursor);
        if (dir_length < PATH_MAX) {
            size_t used = 0;
            if (dir_length > 0) {  // an empty element means the current directory
                memcpy(candidate, cursor, dir_length);
                used = dir_length;
                candidate[used++] = '/';
            }
            memcpy(candidate + used, file, file_length + 1);
            execve(candidate, argv, envp);
            switch (errno) {
            case EACCES:
                saw_eacces = 1;
                break;
            case ENOEXEC:
                exec_script(candidate, argv, envp);
                return;
            case ENOENT:
            case ENOTDIR:
            case ESTALE:
            case ELOOP:
            case ENAMETOOLONG:
            case ENODEV:
            case ETIMEDOUT:
                break;
            default:
                return;
            }
        }
        if (colon == NULL) break;
        cursor = colon + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
}

static void mark_inherited_fds_cloexec(void) {
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    // Older kernels or a seccomp filter without close_range: walk a bounded range.
    struct rlimit limit;
    long highest = 1024;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < 65536)
        highest = (long)limit.rlim_cur;
    for (long fd = 3; fd < highest; fd++) {
        int flags = fcntl((int)fd, F_GETFD);
        if (flags >= 0 && !(flags & FD_CLOEXEC)) fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

static void run_child(const crs_spawn_options *options, int report_fd) {
    // The runner blocks the signals it reads through signalfd and ignores SIGPIPE;
    // an exec'd program must start with the defaults, so undo both.
    struct sigaction defaults;
    memset(&defaults, 0, sizeof defaults);
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &defaults, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);

    if (setsid() < 0) child_fail(report_fd, CRS_STAGE_SETUP);
    if (options->controlling_tty && ioctl(options->stdin_fd, TIOCSCTTY, 0) < 0) child_fail(report_fd, CRS_STAGE_SETUP);
    if (dup2(options->stdin_fd, 0) < 0 || dup2(options->stdout_fd, 1) < 0 || dup2(options->stderr_fd, 2) < 0)
        child_fail(report_fd, CRS_STAGE_SETUP);
    mark_inherited_fds_cloexec();
    if (options->cwd != NULL && options->cwd[0] != '\0' && chdir(options->cwd) < 0) child_fail(report_fd, CRS_STAGE_CHDIR);
    const char *path = options->search_path != NULL ? options->search_path : default_search_path;
    exec_with_search(options->file, options->argv, options->envp, path);
    child_fail(report_fd, CRS_STAGE_EXEC);
}

struct child_start {
    const crs_spawn_options *options;
    int report_read;
    int report_write;
};

static int child_entry(void *argument) {
    const struct child_start *start = argument;
    close(start->report_read);
    run_child(start->options, start->report_write);
    return 127;  // not reached: run_child execs or exits
}

// The stack the child runs on until it execs: the runner is single-threaded and suspended
// while a child uses it (CLONE_VFORK), so one stack serves every spawn. It is sized for
// exec_script's argument vector (4,096 pointers) and exec_with_search's path buffer.
static void *child_stack;
static const size_t child_stack_size = 256 * 1024;

// The child shares the runner's memory until it execs (CLONE_VM | CLONE_VFORK, as
// posix_spawn does), so the runner's page tables are not copied and its pages not made
// copy-on-write for a child that replaces them at once: about 0.3 ms less per spawn for the
// runner's ~7 MiB here, and no copy-on-write faults in the runner afterwards. The child has
// its own fd table, signal handlers, cwd and session (no CLONE_FILES, CLONE_SIGHAND, CLONE_FS)
// and runs only async-signal-safe code on its own stack. The runner reads its signals from a
// signalfd and handles none itself; the child resets every disposition before anything else
// (run_child), so no handler of the runner's process can run on the shared memory after that.
static pid_t start_child(struct child_start *start) {
    if (child_stack == NULL) {
        void *stack = mmap(NULL, child_stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack != MAP_FAILED) child_stack = stack;
    }
    if (child_stack != NULL) {
        pid_t pid = clone(child_entry, (char *)child_stack + child_stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, start);
        // A seccomp profile or kernel that refuses this clone gets the plain fork below.
        if (pid >= 0 || (errno != EPERM && errno != ENOSYS && errno != EINVAL)) return pid;
    }
    pid_t pid = fork();
    if (pid == 0) child_entry(start);
    return pid;
}

pid_t crs_spawn(const crs_spawn_options *options, int *failed_errno, int *failed_stage) {
    *failed_errno = 0;
    *failed_stage = 0;
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) {
        *failed_errno = errno;
        *failed_stage = CRS_STAGE_PIPE;
        return -1;
    }
    struct child_start start = { options, report[0], report[1] };
    pid_t pid = start_child(&start);
    if (pid < 0) {
        *failed_errno = errno;
        *failed_stage = CRS_STAGE_FORK;
        close(report[0]);
        close(report[1]);
        return -1;
    }
    close(report[1]);
    // exec closes the write end (close-on-exec), so EOF here means success. Waiting
    // for it also guarantees setsid has happened before anyone signals the group.
    int message[2] = { 0, 0 };
    ssize_t got;
    do {
        got = read(report[0], message, sizeof message);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof message) {
        *failed_errno = message[0];
        *failed_stage = message[1];
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -1;
    }
    return pid;
}

// ---------------------------------------------------------------------------
// fds

int crs_open(const char *path, int flags, unsigned int mode) { return open(path, flags, (mode_t)mode); }

int crs_openat(int dirfd, const char *path, int flags, unsigned int mode) { return openat(dirfd, path, flags, (mode_t)mode); }

const int crs_o_path = O_PATH;

int crs_open_beneath(int root_fd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const char *relative = (path == NULL || path[0] == '\0') ? "." : path;
    // EAGAIN: a rename raced a ".." step and the kernel could not prove it stayed beneath
    // the root; it asks the caller to try again (openat2(2)). A few tries, then the error stands.
    for (int attempt = 0;; attempt++) {
        long fd = syscall(SYS_openat2, root_fd, relative, &how, sizeof how);
        if (fd >= 0) return (int)fd;
        if (errno == EINTR || (errno == EAGAIN && attempt < 8)) continue;
        return -1;
    }
}

int crs_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int crs_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    if (flags & O_NONBLOCK) return 0;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int crs_set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

// ---------------------------------------------------------------------------
// signals and children

int crs_signalfd_init(void) {
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, NULL);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int crs_signalfd_read(int fd, int *sender_pid) {
    struct signalfd_siginfo info;
    ssize_t got;
    do {
        got = read(fd, &info, sizeof info);
    } while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof info) {
        if (sender_pid) *sender_pid = (int)info.ssi_pid;
        return (int)info.ssi_signo;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
}

int crs_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int crs_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

pid_t crs_reap(int *exit_code, int *term_signal) {
    int status = 0;
    pid_t pid;
    do {
        pid = wait4(-1, &status, WNOHANG, NULL);
    } while (pid < 0 && errno == EINTR);
    *exit_code = 0;
    *term_signal = 0;
    if (pid > 0) {
        if (WIFEXITED(status)) {
            *exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            *term_signal = WTERMSIG(status);
            *exit_code = 128 + *term_signal;
        }
    }
    return pid;
}

// ---------------------------------------------------------------------------
// terminals

int crs_openpty(int *master, int *slave, uint16_t rows, uint16_t columns) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -1;
    if (grantpt(m) != 0 || unlockpt(m) != 0) goto fail;
    // TIOCGPTPEER opens the peer without a path lookup (no /dev/pts races).
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        char name[128];
        if (ptsname_r(m, name, sizeof name) != 0) goto fail;
        s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (s < 0) goto fail;
    }
    struct winsize size = { .ws_row = rows, .ws_col = columns };
    ioctl(m, TIOCSWINSZ, &size);
    *master = m;
    *slave = s;
    return 0;
fail:;
    int saved = errno;
    close(m);
    errno = saved;
    return -1;
}

int crs_set_window_size(int fd, uint16_t rows, uint16_t columns) {
    struct winsize size = { .ws_row = rows, .ws_col = columns };
    return ioctl(fd, TIOCSWINSZ, &size);
}

int crs_configure_quiet_tty(int fd) {
    struct termios current;
    if (tcgetattr(fd, &current) != 0) return -1;
    struct termios wanted = current;
    wanted.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    wanted.c_lflag |= ICANON | ISIG;
    wanted.c_oflag &= ~(tcflag_t)(ONLCR | OCRNL | ONLRET | ONOCR | OLCUC | TABDLY);
    wanted.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
    if (memcmp(&wanted, &current, sizeof current) == 0) return 0;
    if (tcsetattr(fd, TCSANOW, &wanted) != 0) return -1;
    return 1;
}

pid_t crs_foreground_pgrp(int fd) { return tcgetpgrp(fd); }

int crs_set_controlling_tty(int fd) { return ioctl(fd, TIOCSCTTY, 0); }

// ---------------------------------------------------------------------------
// misc

int crs_random_bytes(void *buffer, size_t length) {
    unsigned char *bytes = buffer;
    while (length > 0) {
        ssize_t got = getrandom(bytes, length, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        bytes += got;
        length -= (size_t)got;
    }
    return 0;
}

char *const *crs_environ(void) { return environ; }

uint64_t crs_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

// ---------------------------------------------------------------------------
// files

static void fill_stat(const struct stat *st, crs_file_stat *out) {
    switch (st->st_mode & S_IFMT) {
    case S_IFREG: out->kind = 1; break;
    case S_IFDIR: out->kind = 2; break;
    case S_IFLNK: out->kind = 3; break;
    default: out->kind = 4; break;
    }
    out->size = (uint64_t)st->st_size;
    out->mode = (uint32_t)(st->st_mode & 07777);
    out->modified_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + (int64_t)st->st_mtim.tv_nsec;
}

int crs_fstatat(int dirfd, const char *path, int nofollow, crs_file_stat *out) {
    struct stat st;
    if (fstatat(dirfd, path, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) != 0) return -1;
    fill_stat(&st, out);
    return 0;
}

int crs_fstat(int fd, crs_file_stat *out) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    fill_stat(&st, out);
    return 0;
}

int crs_rename_noreplace(const char *from, const char *to) {
    if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EPERM) return -1;
    struct stat st;
    if (lstat(to, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    if (errno != ENOENT) return -1;
    return rename(from, to);
}

const char *crs_readdir_name(DIR *dir) {
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (entry == NULL) return NULL;
        const char *name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        return name;
    }
}

// ---------------------------------------------------------------------------
// /proc scans

static ssize_t read_small_file(const char *path, char *buffer, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t total = 0;
    while ((size_t)total < size - 1) {
        ssize_t got = read(fd, buffer + total, size - 1 - (size_t)total);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        total += got;
    }
    close(fd);
    buffer[total] = '\0';
    return total;
}

// Parses "pid (comm) state ppid pgrp ..." — comm may contain spaces and parentheses,
// so fields are counted from the last ')'.
static int read_ppid_pgrp(pid_t pid, pid_t *ppid, pid_t *pgrp) {
    char path[64], buffer[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small_file(path, buffer, sizeof buffer) <= 0) return -1;
    char *close_paren = strrchr(buffer, ')');
    if (close_paren == NULL) return -1;
    char state;
    int parent, group;
    if (sscanf(close_paren + 1, " %c %d %d", &state, &parent, &group) != 3) return -1;
    if (state == 'Z' || state == 'X') return -1;
    *ppid = parent;
    *pgrp = group;
    return 0;
}

static int ignores_sigint(pid_t pid) {
    char path[64], buffer[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (read_small_file(path, buffer, sizeof buffer) <= 0) return 0;
    char *line = strstr(buffer, "\nSigIgn:");
    if (line == NULL) return 0;
    unsigned long long mask = strtoull(line + 8, NULL, 16);
    return (mask >> (SIGINT - 1)) & 1;
}

struct proc_entry {
    pid_t pid, ppid, pgrp;
};

// Every live process with its parent and group, sorted by pid (for bsearch).
static int compare_entries(const void *a, const void *b) {
    pid_t x = ((const struct proc_entry *)a)->pid, y = ((const struct proc_entry *)b)->pid;
    return (x > y) - (x < y);
}

static struct proc_entry *snapshot_processes(int *count) {
    *count = 0;
    DIR *proc = opendir("/proc");
    if (proc == NULL) return NULL;
    int capacity = 256;
    struct proc_entry *entries = malloc(sizeof *entries * (size_t)capacity);
    struct dirent *entry;
    while (entries != NULL && (entry = readdir(proc)) != NULL) {
        char *end;
        long value = strtol(entry->d_name, &end, 10);
        if (*end != '\0' || value <= 0) continue;
        pid_t ppid, pgrp;
        if (read_ppid_pgrp((pid_t)value, &ppid, &pgrp) != 0) continue;
        if (*count == capacity) {
            capacity *= 2;
            struct proc_entry *grown = realloc(entries, sizeof *entries * (size_t)capacity);
            if (grown == NULL) {
                free(entries);
                entries = NULL;
                break;
            }
            entries = grown;
        }
        entries[(*count)++] = (struct proc_entry){ (pid_t)value, ppid, pgrp };
    }
    closedir(proc);
    if (entries != NULL) qsort(entries, (size_t)*count, sizeof *entries, compare_entries);
    return entries;
}

int crs_children_of(pid_t parent, pid_t *out, int max) {
    char path[64], buffer[8192];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)parent, (int)parent);
    if (read_small_file(path, buffer, sizeof buffer) >= 0) {
        int count = 0;
        char *cursor = buffer;
        while (count < max) {
            char *end;
            long value = strtol(cursor, &end, 10);
            if (end == cursor) break;
            out[count++] = (pid_t)value;
            cursor = end;
        }
        // Threads other than the main one could have children too; the runner and
        // the shells it watches are single-threaded, so the main task's list is all.
        return count;
    }
    int total;
    struct proc_entry *entries = snapshot_processes(&total);
    int count = 0;
    for (int i = 0; entries != NULL && i < total && count < max; i++)
        if (entries[i].ppid == parent) out[count++] = entries[i].pid;
    free(entries);
    return count;
}

static int contains(const pid_t *pids, int count, pid_t pid) {
    for (int i = 0; i < count; i++)
        if (pids[i] == pid) return 1;
    return 0;
}

int crs_foreground_members(pid_t pgrp, pid_t shell, const pid_t *background, int background_count,
                           int skip_sigint_ignored, pid_t *out, int max) {
    int total;
    struct proc_entry *entries = snapshot_processes(&total);
    if (entries == NULL) return 0;
    int count = 0;
    for (int i = 0; i < total && count < max; i++) {
        if (entries[i].pgrp != pgrp || entries[i].pid == shell) continue;
        // Walk up the parents: anything below a background job belongs to that job.
        int in_background = 0;
        pid_t cursor = entries[i].pid;
        for (int depth = 0; depth < 128 && cursor > 1 && cursor != shell; depth++) {
            if (contains(background, background_count, cursor)) {
                in_background = 1;
                break;
            }
            struct proc_entry key = { cursor, 0, 0 };
            struct proc_entry *found = bsearch(&key, entries, (size_t)total, sizeof *entries, compare_entries);
            if (found == NULL) break;
            cursor = found->ppid;
        }
        if (in_background) continue;
        if (skip_sigint_ignored && ignores_sigint(entries[i].pid)) continue;
        out[count++] = entries[i].pid;
    }
    free(entries);
    return count;
}
