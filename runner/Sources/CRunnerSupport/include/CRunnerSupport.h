// C support for the sandcastle runner: the pieces Swift cannot call directly
// (variadic ioctl/fcntl/prctl/open, fork+exec with async-signal-safe child code,
// signalfd plumbing, wait-status decoding, /proc scans).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <dirent.h>

#include "CRunnerProbes.h"

#ifdef __cplusplus
extern "C" {
#endif

/// What a child needs between fork and exec. All fds must be >= 3 (the runner keeps
/// 0-2 open on its channel), so dup2 onto 0-2 never clobbers a source.
typedef struct {
    /// Program to run; without a '/', looked up in `search_path` like execvp.
    const char *file;
    /// NULL-terminated argument vector (argv[0] included).
    char *const *argv;
    /// NULL-terminated environment.
    char *const *envp;
    /// PATH for the lookup; NULL means a standard default.
    const char *search_path;
    /// Working directory; NULL keeps the runner's.
    const char *cwd;
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// Non-zero: make stdin_fd (a PTY slave) the controlling terminal of the new session.
    int controlling_tty;
} crs_spawn_options;

/// Which step of a failed spawn went wrong.
#define CRS_STAGE_PIPE 1
#define CRS_STAGE_FORK 2
#define CRS_STAGE_SETUP 3
#define CRS_STAGE_CHDIR 4
#define CRS_STAGE_EXEC 5

/// Forks and execs in a new session (so the child leads its own process group).
/// Returns the pid once exec succeeded; otherwise -1 with the errno and stage of the
/// failure (the child reports them over a close-on-exec pipe, then is reaped here).
pid_t crs_spawn(const crs_spawn_options *options, int *failed_errno, int *failed_stage);

/// open(2)/openat(2) with an explicit mode (open is variadic).
int crs_open(const char *path, int flags, unsigned int mode);
int crs_openat(int dirfd, const char *path, int flags, unsigned int mode);
/// O_PATH, which Glibc shows Swift only under _GNU_SOURCE.
extern const int crs_o_path;
/// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS from the directory behind `root_fd`
/// (close-on-exec added): the kernel resolves `path` (relative; "" is the root itself) and fails
/// with EXDEV when an absolute symlink, or a relative one or ".." at any component, would lead out
/// of that directory, and with ELOOP on /proc magic links. Read flags only (no O_CREAT).
int crs_open_beneath(int root_fd, const char *path, int flags);
/// pipe2(O_CLOEXEC) (not visible to Swift without _GNU_SOURCE).
int crs_pipe_cloexec(int fds[2]);
int crs_set_nonblocking(int fd);
int crs_set_cloexec(int fd);

/// Blocks SIGCHLD, SIGTERM, SIGINT, SIGHUP (and SIGQUIT), ignores SIGPIPE and returns a
/// non-blocking close-on-exec signalfd for the blocked set.
int crs_signalfd_init(void);
/// Next signal number from the signalfd, 0 when none is pending, -1 on error.
/// Reads one signal; `sender_pid` receives the sender's pid (0 when it came from outside our pid namespace).
int crs_signalfd_read(int fd, int *sender_pid);

int crs_set_child_subreaper(void);
/// Makes /proc/1/{mem,environ,...} root-only, so same-uid sandbox code cannot read the runner's memory.
int crs_set_not_dumpable(void);

/// One non-blocking wait4(-1). Returns the pid (and its exit code, or the signal that
/// killed it), 0 when children exist but none changed, -1 with errno (ECHILD: no children).
pid_t crs_reap(int *exit_code, int *term_signal);

/// A new PTY pair, both ends close-on-exec and O_NOCTTY, with the given size.
int crs_openpty(int *master, int *slave, uint16_t rows, uint16_t columns);
int crs_set_window_size(int fd, uint16_t rows, uint16_t columns);
/// Puts a PTY into the mode the runner's shell protocol needs: no echo (commands and
/// their terminators are never reflected back) and no output post-processing of '\n'
/// (bytes arrive as programs wrote them). Works on either end. Returns 1 when it had
/// to change something, 0 when the modes were already right, -1 on error.
int crs_configure_quiet_tty(int fd);
/// Foreground process group of the terminal behind fd (a PTY master works).
pid_t crs_foreground_pgrp(int fd);
int crs_set_controlling_tty(int fd);

int crs_random_bytes(void *buffer, size_t length);
/// The process environment (`environ`, which Swift does not import reliably).
char *const *crs_environ(void);
uint64_t crs_monotonic_ns(void);

/// lstat-like facts about a file, flattened for Swift.
typedef struct {
    uint8_t kind;  // 1 file, 2 directory, 3 symlink, 4 other
    uint64_t size;
    uint32_t mode;  // st_mode & 07777
    int64_t modified_ns;
} crs_file_stat;

int crs_fstatat(int dirfd, const char *path, int nofollow, crs_file_stat *out);
int crs_fstat(int fd, crs_file_stat *out);

/// renameat2(RENAME_NOREPLACE); falls back to a check-then-rename where the file
/// system or kernel does not support the flag.
int crs_rename_noreplace(const char *from, const char *to);

/// Next entry name of a directory stream (skipping "." and ".."), NULL at the end or
/// on error (errno tells which: 0 means end).
const char *crs_readdir_name(DIR *dir);

/// Direct children of `parent`, from /proc/<pid>/task/<pid>/children when the kernel
/// provides it (one small read), else by scanning /proc. Returns how many were stored.
int crs_children_of(pid_t parent, pid_t *out, int max);

/// The foreground processes of a job-control-less shell: members of process group
/// `pgrp` except the shell itself, the `background` pids and their descendants. With
/// `skip_sigint_ignored`, processes ignoring SIGINT are left out too (background jobs
/// the shell started since `background` was taken, which it starts with SIGINT ignored).
/// Returns how many were stored (at most `max`).
int crs_foreground_members(pid_t pgrp, pid_t shell, const pid_t *background, int background_count,
                           int skip_sigint_ignored, pid_t *out, int max);

#ifdef __cplusplus
}
#endif
