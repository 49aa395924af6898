#define _GNU_SOURCE
#include "CRunnerProbes.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#define PROBE_NAME_MAX 64

// ---------------------------------------------------------------------------
// Results

static void vformat(crp_result *out, const char *format, va_list arguments) {
    vsnprintf(out->detail, sizeof out->detail, format, arguments);
}

static void succeeded(crp_result *out, const char *format, ...) {
    out->kind = CRP_SUCCEEDED;
    out->error = 0;
    va_list arguments;
    va_start(arguments, format);
    vformat(out, format, arguments);
    va_end(arguments);
}

static void failed(crp_result *out, int error) {
    out->kind = CRP_FAILED;
    out->error = error;
    snprintf(out->detail, sizeof out->detail, "%s", strerror(error));
}

static void value(crp_result *out, const char *format, ...) {
    out->kind = CRP_VALUE;
    out->error = 0;
    va_list arguments;
    va_start(arguments, format);
    vformat(out, format, arguments);
    va_end(arguments);
}

static void skipped(crp_result *out, const char *format, ...) {
    out->kind = CRP_SKIPPED;
    out->error = 0;
    va_list arguments;
    va_start(arguments, format);
    vformat(out, format, arguments);
    va_end(arguments);
}

/// A syscall that returns an fd (or other non-negative value) on success: the fd is
/// closed, so an unexpected success leaves nothing open.
static void fd_result(long result, crp_result *out, const char *what) {
    if (result < 0) {
        failed(out, errno);
        return;
    }
    close((int)result);
    succeeded(out, "%s", what);
}

static void plain_result(long result, crp_result *out, const char *what) {
    if (result < 0) {
        failed(out, errno);
        return;
    }
    succeeded(out, "%s (returned %ld)", what, result);
}

const char *crp_errno_name(int error) {
    return strerrorname_np(error);
}

// ---------------------------------------------------------------------------
// Probes in a child
//
// Anything that would change the probing process itself (a namespace, credentials,
// personality, a tracer, a keyring) runs in a forked child. The child's exit code
// carries the outcome: 0 for success, else the errno (all errnos are below 256).

typedef int (*child_body)(void);

static void in_child(child_body body, crp_result *out, const char *on_success) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        skipped(out, "fork failed: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(ESRCH);
        int error = body();
        _exit(error > 0 && error < 256 ? error : (error == 0 ? 0 : 255));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            skipped(out, "waitpid failed: %s", strerror(errno));
            return;
        }
    }
    if (WIFSIGNALED(status)) {
        skipped(out, "the probing child was killed by signal %d", WTERMSIG(status));
    } else if (WEXITSTATUS(status) == 0) {
        succeeded(out, "%s", on_success);
    } else if (WEXITSTATUS(status) == 255) {
        skipped(out, "the probing child failed without an errno");
    } else {
        failed(out, WEXITSTATUS(status));
    }
}

static int error_or_zero(long result) {
    if (result >= 0) return 0;
    return errno != 0 ? errno : 255;
}

/// Waits for a child created by a raw clone/clone3 inside a probing child.
static int reap_clone(long result) {
    if (result == 0) _exit(0);  // the clone itself: nothing to do
    if (result < 0) return errno != 0 ? errno : 255;
    while (waitpid((pid_t)result, NULL, __WALL) < 0 && errno == EINTR) {}
    return 0;
}

static int child_unshare_user(void) { return error_or_zero(unshare(CLONE_NEWUSER)); }
static int child_unshare_mount(void) { return error_or_zero(unshare(CLONE_NEWNS)); }

/// The path a permissive `unshare` opens: "root" in a fresh user namespace may mount
/// (tmpfs, proc, overlay, …), reaching file system code an unprivileged user never could.
/// The new mount namespace is private to this child and dies with it.
static int child_userns_mount(void) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return errno != 0 ? errno : 255;
    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    return error_or_zero(mount("sandcastle-probe", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k"));
}

static int child_setns_net(void) {
    int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 254;
    return error_or_zero(setns(fd, CLONE_NEWNET));
}

static int child_clone_user(void) {
#ifdef SYS_clone
    // A raw clone without a new stack continues like fork() on a copy of this stack.
    return reap_clone(syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0L, 0L, 0L, 0L));
#else
    return ENOSYS;
#endif
}

static int child_clone3(void) {
#ifdef SYS_clone3
    // struct clone_args, version 0 (64 bytes): flags, pidfd, child_tid, parent_tid,
    // exit_signal, stack, stack_size, tls. No flags: the question is only whether
    // clone3 reaches the kernel at all.
    uint64_t arguments[8] = {0, 0, 0, 0, SIGCHLD, 0, 0, 0};
    return reap_clone(syscall(SYS_clone3, arguments, sizeof arguments));
#else
    return ENOSYS;
#endif
}

static int child_add_key(void) {
    // A keyring id that does not exist: the kernel answers ENOKEY without creating
    // any keyring, if the call gets that far.
    return error_or_zero(syscall(SYS_add_key, "user", "sandcastle-probe", "x", (size_t)1, 0x7ffffffeL));
}

static int child_request_key(void) {
    // No callout text: the kernel never starts an upcall; it only searches.
    return error_or_zero(syscall(SYS_request_key, "user", "sandcastle-probe-none", NULL, 0L));
}

/// PTRACE_SEIZE takes the same permission path as PTRACE_ATTACH (seccomp, then
/// ptrace_may_access) but does not stop PID 1 if it succeeds; the child's exit detaches.
static int child_ptrace_seize(void) { return error_or_zero(syscall(SYS_ptrace, (long)PTRACE_SEIZE, 1L, 0L, 0L)); }

static int child_ptrace_traceme(void) { return error_or_zero(syscall(SYS_ptrace, (long)PTRACE_TRACEME, 0L, 0L, 0L)); }
static int child_setuid_root(void) { return error_or_zero(syscall(SYS_setuid, 0L)); }
static int child_personality_linux32(void) { return error_or_zero(syscall(SYS_personality, (unsigned long)PER_LINUX32)); }
static int child_personality_no_aslr(void) { return error_or_zero(syscall(SYS_personality, (unsigned long)ADDR_NO_RANDOMIZE)); }

// ---------------------------------------------------------------------------
// Probe bodies

/// A fresh empty directory under /tmp (or the cwd), for probes that need a target.
static int scratch_directory(char *buffer, size_t size) {
    snprintf(buffer, size, "/tmp/.sandcastle-probe-XXXXXX");
    if (mkdtemp(buffer) != NULL) return 0;
    snprintf(buffer, size, ".sandcastle-probe-XXXXXX");
    return mkdtemp(buffer) != NULL ? 0 : -1;
}

static void probe_mount(const char *unused, crp_result *out) {
    (void)unused;
    char target[64];
    if (scratch_directory(target, sizeof target) != 0) {
        skipped(out, "no writable directory for a mount target: %s", strerror(errno));
        return;
    }
    if (mount("sandcastle-probe", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k") == 0) {
        umount2(target, MNT_DETACH);
        rmdir(target);
        succeeded(out, "mounted a tmpfs on %s (unmounted again)", target);
        return;
    }
    int error = errno;
    rmdir(target);
    failed(out, error);
}

static void probe_umount(const char *unused, crp_result *out) {
    (void)unused;
    char target[64];
    if (scratch_directory(target, sizeof target) != 0) {
        skipped(out, "no writable directory: %s", strerror(errno));
        return;
    }
    // Not a mount point: where the call is allowed and privileged it fails with
    // EINVAL and detaches nothing.
    long result = umount2(target, MNT_DETACH);
    int error = errno;
    rmdir(target);
    if (result == 0) {
        succeeded(out, "umount2 of a plain directory succeeded");
    } else {
        failed(out, error);
    }
}

static void probe_keyctl(const char *unused, crp_result *out) {
    (void)unused;
    // KEYCTL_DESCRIBE (6) of a key id that does not exist: read-only, ENOKEY if it gets through.
    char buffer[64];
    plain_result(syscall(SYS_keyctl, 6L, 0x7ffffffeL, buffer, sizeof buffer), out, "keyctl answered");
}

static void probe_bpf(const char *unused, crp_result *out) {
    (void)unused;
#ifdef SYS_bpf
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof attributes);
    // BPF_MAP_CREATE with map type 0 (unspecified): EINVAL if the call reaches the verifier.
    fd_result(syscall(SYS_bpf, (long)BPF_MAP_CREATE, &attributes, sizeof attributes), out, "bpf created a map");
#else
    skipped(out, "no bpf syscall on this architecture");
#endif
}

static void probe_io_uring(const char *unused, crp_result *out) {
    (void)unused;
#ifdef SYS_io_uring_setup
    struct io_uring_params parameters;
    memset(&parameters, 0, sizeof parameters);
    fd_result(syscall(SYS_io_uring_setup, 1L, &parameters), out, "io_uring_setup returned a ring");
#else
    skipped(out, "no io_uring_setup syscall number in this build");
#endif
}

static void probe_perf(const char *unused, crp_result *out) {
    (void)unused;
    struct perf_event_attr attributes;
    memset(&attributes, 0, sizeof attributes);
    attributes.type = PERF_TYPE_SOFTWARE;
    attributes.size = sizeof attributes;
    attributes.config = PERF_COUNT_SW_DUMMY;
    attributes.disabled = 1;
    attributes.exclude_kernel = 1;
    attributes.exclude_hv = 1;
    fd_result(syscall(SYS_perf_event_open, &attributes, 0L, -1L, -1L, (unsigned long)PERF_FLAG_FD_CLOEXEC), out,
              "perf_event_open returned an event fd");
}

static void probe_process_vm_readv(const char *unused, crp_result *out) {
    (void)unused;
    char local_byte = 0;
    struct iovec local = {&local_byte, 1};
    // Any address: the access check against PID 1 comes before the address is used.
    struct iovec remote = {(void *)0x400000, 1};
    long result = syscall(SYS_process_vm_readv, 1L, &local, 1UL, &remote, 1UL, 0UL);
    plain_result(result, out, "read PID 1's memory");
}

static void probe_open_by_handle(const char *unused, crp_result *out) {
    (void)unused;
    int mount_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (mount_fd < 0) {
        skipped(out, "cannot open /: %s", strerror(errno));
        return;
    }
    // A made-up handle: with CAP_DAC_READ_SEARCH the file system would reject it as stale.
    struct {
        unsigned int handle_bytes;
        int handle_type;
        unsigned char handle[16];
    } handle = {16, 1, {0}};
    long result = syscall(SYS_open_by_handle_at, (long)mount_fd, &handle, (long)(O_RDONLY | O_CLOEXEC));
    int error = errno;
    close(mount_fd);
    errno = error;
    fd_result(result, out, "open_by_handle_at opened a file by handle");
}

static void probe_name_to_handle(const char *unused, crp_result *out) {
    (void)unused;
    struct {
        unsigned int handle_bytes;
        int handle_type;
        unsigned char handle[128];
    } handle = {128, 0, {0}};
    int mount_id = 0;
    plain_result(syscall(SYS_name_to_handle_at, (long)AT_FDCWD, "/", &handle, &mount_id, 0L), out, "a handle for /");
}

static void probe_userfaultfd(const char *unused, crp_result *out) {
    (void)unused;
#ifdef SYS_userfaultfd
    // UFFD_USER_MODE_ONLY (1) passes the vm.unprivileged_userfaultfd check, so only seccomp decides.
    fd_result(syscall(SYS_userfaultfd, (long)(O_CLOEXEC | 1)), out, "userfaultfd returned an fd");
#else
    skipped(out, "no userfaultfd syscall number in this build");
#endif
}

static void probe_kexec(const char *unused, crp_result *out) {
    (void)unused;
#ifdef SYS_kexec_load
    // More segments than the kernel's maximum (16): past the permission check this is
    // EINVAL. (Zero segments would mean "unload the loaded kexec image".)
    plain_result(syscall(SYS_kexec_load, 0UL, 1000UL, NULL, 0UL), out, "kexec_load answered");
#else
    skipped(out, "no kexec_load on this architecture");
#endif
}

static void probe_init_module(const char *unused, crp_result *out) {
    (void)unused;
    plain_result(syscall(SYS_init_module, NULL, 0UL, ""), out, "init_module accepted an empty module");
}

static void probe_finit_module(const char *unused, crp_result *out) {
    (void)unused;
    plain_result(syscall(SYS_finit_module, -1L, "", 0L), out, "finit_module accepted fd -1");
}

static void probe_delete_module(const char *unused, crp_result *out) {
    (void)unused;
    plain_result(syscall(SYS_delete_module, "sandcastle_probe_none", (long)O_NONBLOCK), out, "delete_module answered");
}

static void probe_reboot(const char *unused, crp_result *out) {
    (void)unused;
    // A wrong magic number: past the capability check the kernel answers EINVAL and does nothing.
    plain_result(syscall(SYS_reboot, 0L, 0L, 0L, NULL), out, "reboot accepted a wrong magic number");
}

static void probe_swapon(const char *unused, crp_result *out) {
    (void)unused;
    plain_result(syscall(SYS_swapon, "/sandcastle-probe-none", 0L), out, "swapon answered");
}

static void probe_acct(const char *unused, crp_result *out) {
    (void)unused;
    // A path that does not exist: privileged, this is ENOENT (accounting is never switched).
    plain_result(syscall(SYS_acct, "/sandcastle-probe-none"), out, "acct answered");
}

static void probe_settimeofday(const char *unused, crp_result *out) {
    (void)unused;
    // Neither time nor zone: nothing changes even when allowed, but the capability check still runs.
    plain_result(syscall(SYS_settimeofday, NULL, NULL), out, "settimeofday passed its permission check");
}

static void probe_clock_settime(const char *unused, crp_result *out) {
    (void)unused;
    // An invalid time (EINVAL once inside the kernel), so the clock can never move.
    struct timespec invalid = {0, -1};
    plain_result(syscall(SYS_clock_settime, (long)CLOCK_REALTIME, &invalid), out, "clock_settime accepted");
}

static void probe_socket(int domain, int type, int protocol, crp_result *out) {
    fd_result(socket(domain, type | SOCK_CLOEXEC, protocol), out, "socket created");
}

static void probe_socket_vsock(const char *u, crp_result *out) { (void)u; probe_socket(AF_VSOCK, SOCK_STREAM, 0, out); }
static void probe_socket_alg(const char *u, crp_result *out) { (void)u; probe_socket(AF_ALG, SOCK_SEQPACKET, 0, out); }
static void probe_socket_packet(const char *u, crp_result *out) { (void)u; probe_socket(AF_PACKET, SOCK_RAW, 0, out); }
static void probe_socket_raw(const char *u, crp_result *out) { (void)u; probe_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP, out); }
static void probe_socket_tcp(const char *u, crp_result *out) { (void)u; probe_socket(AF_INET, SOCK_STREAM, 0, out); }

static void probe_chroot(const char *unused, crp_result *out) {
    (void)unused;
    // chroot("/") is a no-op even where it is allowed.
    plain_result(syscall(SYS_chroot, "/"), out, "chroot(\"/\") allowed");
}

static void probe_pivot_root(const char *unused, crp_result *out) {
    (void)unused;
    // Paths that do not exist: past the capability check this is ENOENT.
    plain_result(syscall(SYS_pivot_root, "/sandcastle-probe-none", "/sandcastle-probe-none"), out, "pivot_root answered");
}

static void probe_syslog(const char *unused, crp_result *out) {
    (void)unused;
    // SYSLOG_ACTION_SIZE_BUFFER (10): reads nothing, but needs CAP_SYSLOG under dmesg_restrict.
    plain_result(syscall(SYS_syslog, 10L, NULL, 0L), out, "syslog answered");
}

static void probe_mknod_block(const char *unused, crp_result *out) {
    (void)unused;
    char directory[64];
    if (scratch_directory(directory, sizeof directory) != 0) {
        skipped(out, "no writable directory: %s", strerror(errno));
        return;
    }
    char path[96];
    snprintf(path, sizeof path, "%s/blk", directory);
    long result = mknod(path, S_IFBLK | 0600, makedev(7, 0));
    int error = errno;
    unlink(path);
    rmdir(directory);
    if (result == 0) {
        succeeded(out, "created a block device node (removed again)");
    } else {
        failed(out, error);
    }
}

/// Opens for writing (never writes): creating files is removed again, and opening
/// /proc/sysrq-trigger or core_pattern for writing does nothing by itself.
static void probe_write(const char *path, crp_result *out) {
    int create = strncmp(path, "/proc/", 6) != 0 && strncmp(path, "/sys/", 5) != 0;
    int fd = open(path, O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0600);
    if (fd < 0) {
        failed(out, errno);
        return;
    }
    close(fd);
    if (create) unlink(path);
    succeeded(out, "opened %s for writing%s", path, create ? " (file removed again)" : " (nothing written)");
}

/// Opening is the access check (ptrace mode for /proc/<pid>/{environ,mem}), so an open
/// that succeeds already counts as access, whatever the read returns.
static void probe_read(const char *path, crp_result *out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        failed(out, errno);
        return;
    }
    char byte;
    ssize_t got = read(fd, &byte, 1);
    int error = errno;
    close(fd);
    if (got < 0) {
        succeeded(out, "opened %s (the read then failed: %s)", path, strerror(error));
    } else {
        succeeded(out, "opened %s and read %zd byte(s)", path, got);
    }
}

/// mkdir in the cgroup hierarchy: a writable cgroup file system is the classic
/// release_agent / devices.allow escape.
static void probe_cgroup_write(const char *unused, crp_result *out) {
    (void)unused;
    char path[PATH_MAX];
    int first_error = 0;
    int tried = 0;
    // cgroup v2 (or the v1 tmpfs) at the top, then each v1 hierarchy.
    const char *top = "/sys/fs/cgroup/.sandcastle-probe";
    if (mkdir(top, 0700) == 0) {
        rmdir(top);
        succeeded(out, "created %s (removed again)", top);
        return;
    }
    first_error = errno;
    tried++;
    DIR *directory = opendir("/sys/fs/cgroup");
    if (directory != NULL) {
        struct dirent *entry;
        while ((entry = readdir(directory)) != NULL) {
            if (entry->d_name[0] == '.' || entry->d_type != DT_DIR) continue;
            snprintf(path, sizeof path, "/sys/fs/cgroup/%s/.sandcastle-probe", entry->d_name);
            tried++;
            if (mkdir(path, 0700) == 0) {
                rmdir(path);
                closedir(directory);
                succeeded(out, "created %s (removed again)", path);
                return;
            }
        }
        closedir(directory);
    }
    failed(out, first_error);
    size_t used = strlen(out->detail);
    snprintf(out->detail + used, sizeof out->detail - used, " (%d cgroup directories tried)", tried);
}

// ---------------------------------------------------------------------------
// /proc/self/status and other facts

static ssize_t read_small_file(const char *path, char *buffer, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t used = 0;
    while (used + 1 < size) {
        ssize_t got = read(fd, buffer + used, size - 1 - used);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        used += (size_t)got;
    }
    close(fd);
    buffer[used] = 0;
    return (ssize_t)used;
}

/// Copies `text` with runs of whitespace folded into one space and the ends trimmed.
static void fold_whitespace(const char *text, size_t length, char *out, size_t size) {
    size_t used = 0;
    int pending_space = 0;
    for (size_t i = 0; i < length && used + 2 < size; i++) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            pending_space = used > 0;
            continue;
        }
        if (pending_space) out[used++] = ' ';
        pending_space = 0;
        out[used++] = c;
    }
    out[used] = 0;
}

static void probe_status_field(const char *field, crp_result *out) {
    char status[8192];
    if (read_small_file("/proc/self/status", status, sizeof status) < 0) {
        skipped(out, "cannot read /proc/self/status: %s", strerror(errno));
        return;
    }
    size_t field_length = strlen(field);
    for (char *line = status; line != NULL && *line != 0;) {
        char *end = strchr(line, '\n');
        size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
        if (length > field_length && strncmp(line, field, field_length) == 0 && line[field_length] == ':') {
            fold_whitespace(line + field_length + 1, length - field_length - 1, out->detail, sizeof out->detail);
            out->kind = CRP_VALUE;
            out->error = 0;
            return;
        }
        line = end != NULL ? end + 1 : NULL;
    }
    skipped(out, "this kernel has no %s line in /proc/self/status", field);
}

static void probe_file_value(const char *path, crp_result *out) {
    char text[1024];
    ssize_t length = read_small_file(path, text, sizeof text);
    if (length < 0) {
        skipped(out, "cannot read %s: %s", path, strerror(errno));
        return;
    }
    fold_whitespace(text, (size_t)length, out->detail, sizeof out->detail);
    out->kind = CRP_VALUE;
    out->error = 0;
}

static void append(char *buffer, size_t size, const char *format, ...) {
    size_t used = strlen(buffer);
    if (used + 1 >= size) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(buffer + used, size - used, format, arguments);
    va_end(arguments);
}

static void probe_interfaces(const char *unused, crp_result *out) {
    (void)unused;
    DIR *directory = opendir("/sys/class/net");
    if (directory == NULL) {
        skipped(out, "cannot list /sys/class/net: %s", strerror(errno));
        return;
    }
    char names[32][PROBE_NAME_MAX];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL && count < 32) {
        if (entry->d_name[0] == '.') continue;
        snprintf(names[count++], PROBE_NAME_MAX, "%s", entry->d_name);
    }
    closedir(directory);
    qsort(names, (size_t)count, PROBE_NAME_MAX, (int (*)(const void *, const void *))strcmp);
    out->kind = CRP_VALUE;
    out->error = 0;
    out->detail[0] = 0;
    for (int i = 0; i < count; i++) append(out->detail, sizeof out->detail, "%s%s", i > 0 ? "," : "", names[i]);
}

// ---------------------------------------------------------------------------
// File system walks: engine sockets and block devices

typedef struct {
    long scanned;
    long limit;
    int max_depth;
    int sockets;
    int found;
    int blocks;  // non-zero: look for block devices instead of engine sockets
    char paths[768];
} walk_state;

static int engine_socket_name(const char *name) {
    static const char *const markers[] = {"docker", "containerd", "podman", "crio", "cri-o", "buildkit", "kubelet"};
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++) {
        if (strstr(name, markers[i]) != NULL) return 1;
    }
    return 0;
}

static void note_found(walk_state *state, const char *path) {
    state->found++;
    append(state->paths, sizeof state->paths, "%s%s", state->paths[0] ? "," : "", path);
}

static void walk(int parent_fd, const char *name, char *path, size_t base, int depth, walk_state *state) {
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    DIR *directory = fdopendir(fd);
    if (directory == NULL) {
        close(fd);
        return;
    }
    size_t separator = base > 1 ? 1 : 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL && state->scanned < state->limit) {
        const char *child = entry->d_name;
        if (strcmp(child, ".") == 0 || strcmp(child, "..") == 0) continue;
        // /proc and /sys are kernel views: nothing bind-mounted there is reachable as a socket path.
        if (base == 1 && (strcmp(child, "proc") == 0 || strcmp(child, "sys") == 0)) continue;
        size_t length = strlen(child);
        if (base + separator + length + 1 > PATH_MAX) continue;
        state->scanned++;
        struct stat info;
        if (fstatat(dirfd(directory), child, &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (separator) path[base] = '/';
        memcpy(path + base + separator, child, length + 1);
        if (state->blocks) {
            if (S_ISBLK(info.st_mode)) note_found(state, path);
        } else if (S_ISSOCK(info.st_mode)) {
            state->sockets++;
            if (engine_socket_name(child)) note_found(state, path);
        }
        if (S_ISDIR(info.st_mode) && depth + 1 < state->max_depth) {
            walk(dirfd(directory), child, path, base + separator + length, depth + 1, state);
        }
        path[base] = 0;
    }
    closedir(directory);
}

/// Lines of a /proc file that mention an engine socket.
static void scan_for_engine_names(const char *file, walk_state *state) {
    char text[65536];
    if (read_small_file(file, text, sizeof text) < 0) return;
    for (char *line = text; line != NULL && *line != 0;) {
        char *end = strchr(line, '\n');
        if (end != NULL) *end = 0;
        for (const char *sock = strstr(line, ".sock"); sock != NULL; sock = strstr(sock + 5, ".sock")) {
            const char *start = sock;
            while (start > line && start[-1] != ' ' && start[-1] != '\t') start--;
            char token[160];
            snprintf(token, sizeof token, "%.*s", (int)(sock + 5 - start), start);
            if (!engine_socket_name(token)) continue;
            char label[200];
            snprintf(label, sizeof label, "%s:%s", file, token);
            note_found(state, label);
        }
        line = end != NULL ? end + 1 : NULL;
    }
}

static void probe_engine_sockets(const char *unused, crp_result *out) {
    (void)unused;
    walk_state state;
    memset(&state, 0, sizeof state);
    state.limit = 400000;
    state.max_depth = 8;
    char path[PATH_MAX] = "/";
    walk(AT_FDCWD, "/", path, 1, 0, &state);
    scan_for_engine_names("/proc/self/mountinfo", &state);
    scan_for_engine_names("/proc/net/unix", &state);
    value(out, "found=%d scanned=%ld sockets=%d%s%s%s", state.found, state.scanned, state.sockets,
          state.scanned >= state.limit ? " truncated" : "", state.found ? " paths=" : "", state.paths);
}

static void probe_block_devices(const char *unused, crp_result *out) {
    (void)unused;
    walk_state state;
    memset(&state, 0, sizeof state);
    state.limit = 100000;
    state.max_depth = 4;
    state.blocks = 1;
    char path[PATH_MAX] = "/dev";
    walk(AT_FDCWD, "/dev", path, 4, 0, &state);
    value(out, "found=%d scanned=%ld%s%s", state.found, state.scanned, state.found ? " paths=" : "", state.paths);
}

static void probe_dev_entries(const char *unused, crp_result *out) {
    (void)unused;
    DIR *directory = opendir("/dev");
    if (directory == NULL) {
        skipped(out, "cannot list /dev: %s", strerror(errno));
        return;
    }
    char names[768] = "";
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        count++;
        append(names, sizeof names, "%s%s", names[0] ? "," : "", entry->d_name);
    }
    closedir(directory);
    value(out, "count=%d names=%s", count, names);
}

// ---------------------------------------------------------------------------
// The table

static void probe_child(const char *name, crp_result *out);

typedef struct {
    const char *name;
    void (*run)(const char *argument, crp_result *out);
    const char *argument;
} probe_entry;

static const probe_entry probes[] = {
    {"status.Uid", probe_status_field, "Uid"},
    {"status.Gid", probe_status_field, "Gid"},
    {"status.Groups", probe_status_field, "Groups"},
    {"status.CapInh", probe_status_field, "CapInh"},
    {"status.CapPrm", probe_status_field, "CapPrm"},
    {"status.CapEff", probe_status_field, "CapEff"},
    {"status.CapBnd", probe_status_field, "CapBnd"},
    {"status.CapAmb", probe_status_field, "CapAmb"},
    {"status.NoNewPrivs", probe_status_field, "NoNewPrivs"},
    {"status.Seccomp", probe_status_field, "Seccomp"},
    {"status.Seccomp_filters", probe_status_field, "Seccomp_filters"},
    {"apparmor", probe_file_value, "/proc/self/attr/current"},
    {"uid_map", probe_file_value, "/proc/self/uid_map"},

    {"mount(tmpfs)", probe_mount, NULL},
    {"umount2", probe_umount, NULL},
    {"pivot_root", probe_pivot_root, NULL},
    {"chroot", probe_chroot, NULL},
    {"unshare(CLONE_NEWUSER)", probe_child, "unshare-user"},
    {"unshare(CLONE_NEWNS)", probe_child, "unshare-mount"},
    {"mount in a new user namespace", probe_child, "userns-mount"},
    {"setns(net)", probe_child, "setns-net"},
    {"clone(CLONE_NEWUSER)", probe_child, "clone-user"},
    {"clone3", probe_child, "clone3"},

    {"keyctl", probe_keyctl, NULL},
    {"add_key", probe_child, "add-key"},
    {"request_key", probe_child, "request-key"},
    {"bpf", probe_bpf, NULL},
    {"io_uring_setup", probe_io_uring, NULL},
    {"perf_event_open", probe_perf, NULL},
    {"userfaultfd", probe_userfaultfd, NULL},

    {"ptrace(PTRACE_SEIZE, 1)", probe_child, "ptrace-seize"},
    {"ptrace(PTRACE_TRACEME)", probe_child, "ptrace-traceme"},
    {"process_vm_readv(1)", probe_process_vm_readv, NULL},
    {"read /proc/1/environ", probe_read, "/proc/1/environ"},
    {"read /proc/1/mem", probe_read, "/proc/1/mem"},

    {"open_by_handle_at", probe_open_by_handle, NULL},
    {"name_to_handle_at", probe_name_to_handle, NULL},

    {"kexec_load", probe_kexec, NULL},
    {"init_module", probe_init_module, NULL},
    {"finit_module", probe_finit_module, NULL},
    {"delete_module", probe_delete_module, NULL},
    {"reboot", probe_reboot, NULL},
    {"swapon", probe_swapon, NULL},
    {"acct", probe_acct, NULL},
    {"syslog", probe_syslog, NULL},
    {"settimeofday", probe_settimeofday, NULL},
    {"clock_settime", probe_clock_settime, NULL},
    {"setuid(0)", probe_child, "setuid-root"},
    {"personality(PER_LINUX32)", probe_child, "personality-linux32"},
    {"personality(ADDR_NO_RANDOMIZE)", probe_child, "personality-no-aslr"},

    {"socket(AF_VSOCK)", probe_socket_vsock, NULL},
    {"socket(AF_ALG)", probe_socket_alg, NULL},
    {"socket(AF_PACKET)", probe_socket_packet, NULL},
    {"socket(AF_INET, SOCK_RAW)", probe_socket_raw, NULL},
    {"socket(AF_INET, SOCK_STREAM)", probe_socket_tcp, NULL},

    {"write /etc/probe", probe_write, "/etc/.sandcastle-probe"},
    {"write /usr/probe", probe_write, "/usr/.sandcastle-probe"},
    {"write /probe", probe_write, "/.sandcastle-probe"},
    {"write /proc/sysrq-trigger", probe_write, "/proc/sysrq-trigger"},
    {"write /proc/sys/kernel/core_pattern", probe_write, "/proc/sys/kernel/core_pattern"},
    {"write /sys/kernel/uevent_helper", probe_write, "/sys/kernel/uevent_helper"},
    {"mkdir /sys/fs/cgroup", probe_cgroup_write, NULL},
    {"mknod(S_IFBLK)", probe_mknod_block, NULL},

    {"engine sockets", probe_engine_sockets, NULL},
    {"block devices", probe_block_devices, NULL},
    {"dev entries", probe_dev_entries, NULL},
    {"interfaces", probe_interfaces, NULL},
};

static void probe_child(const char *name, crp_result *out) {
    static const struct {
        const char *name;
        child_body body;
        const char *on_success;
    } bodies[] = {
        {"unshare-user", child_unshare_user, "created a user namespace"},
        {"unshare-mount", child_unshare_mount, "created a mount namespace"},
        {"userns-mount", child_userns_mount, "mounted a tmpfs as root of a new user namespace"},
        {"setns-net", child_setns_net, "joined a network namespace"},
        {"clone-user", child_clone_user, "cloned into a new user namespace"},
        {"clone3", child_clone3, "clone3 created a process"},
        {"add-key", child_add_key, "added a key"},
        {"request-key", child_request_key, "found a key"},
        {"ptrace-seize", child_ptrace_seize, "attached to PID 1 (detached when the probing child exited)"},
        {"ptrace-traceme", child_ptrace_traceme, "became traceable by its parent"},
        {"setuid-root", child_setuid_root, "became uid 0"},
        {"personality-linux32", child_personality_linux32, "switched to PER_LINUX32"},
        {"personality-no-aslr", child_personality_no_aslr, "turned off address space randomisation"},
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        if (strcmp(bodies[i].name, name) == 0) {
            in_child(bodies[i].body, out, bodies[i].on_success);
            if (out->kind == CRP_FAILED && out->error == 254) skipped(out, "could not prepare the probe");
            return;
        }
    }
    skipped(out, "unknown child probe %s", name);
}

int crp_probe_count(void) { return (int)(sizeof probes / sizeof probes[0]); }

const char *crp_probe_name(int index) {
    if (index < 0 || index >= crp_probe_count()) return NULL;
    return probes[index].name;
}

void crp_probe_run(int index, crp_result *out) {
    memset(out, 0, sizeof *out);
    if (index < 0 || index >= crp_probe_count()) {
        skipped(out, "no probe %d", index);
        return;
    }
    errno = 0;
    probes[index].run(probes[index].argument, out);
}

// ---------------------------------------------------------------------------
// Parameterised probes

void crp_probe_connect(const char *ip, int port, int timeout_ms, crp_result *out) {
    memset(out, 0, sizeof *out);
    struct sockaddr_storage address;
    memset(&address, 0, sizeof address);
    socklen_t length;
    int family;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
        family = AF_INET;
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        length = sizeof *v4;
    } else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
        family = AF_INET6;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        length = sizeof *v6;
    } else {
        skipped(out, "not an IP address: %s", ip);
        return;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        failed(out, errno);
        append(out->detail, sizeof out->detail, " (socket)");
        return;
    }
    if (connect(fd, (struct sockaddr *)&address, length) == 0) {
        close(fd);
        succeeded(out, "connected to %s port %d", ip, port);
        return;
    }
    if (errno != EINPROGRESS) {
        failed(out, errno);
        close(fd);
        return;
    }
    struct pollfd poll_fd = {fd, POLLOUT, 0};
    int ready;
    do {
        ready = poll(&poll_fd, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) {
        close(fd);
        out->kind = CRP_FAILED;
        out->error = ETIMEDOUT;
        snprintf(out->detail, sizeof out->detail, "no answer from %s port %d within %d ms", ip, port, timeout_ms);
        return;
    }
    int error = 0;
    socklen_t error_length = sizeof error;
    if (ready < 0) {
        error = errno;
    } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) != 0) {
        error = errno;
    }
    close(fd);
    if (error != 0) {
        failed(out, error);
    } else {
        succeeded(out, "connected to %s port %d", ip, port);
    }
}

void crp_probe_forkbomb(int max_children, crp_result *out) {
    memset(out, 0, sizeof *out);
    if (max_children < 1) max_children = 1;
    pid_t *children = calloc((size_t)max_children, sizeof(pid_t));
    if (children == NULL) {
        skipped(out, "cannot allocate the child table");
        return;
    }
    pid_t parent = getpid();
    int forked = 0;
    int stop_error = 0;
    while (forked < max_children) {
        pid_t pid = fork();
        if (pid < 0) {
            if (errno == EINTR) continue;
            stop_error = errno;
            break;
        }
        if (pid == 0) {
            // Dies with the prober, whatever happens to it.
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) _exit(0);
            for (;;) pause();
        }
        children[forked++] = pid;
    }
    for (int i = 0; i < forked; i++) kill(children[i], SIGKILL);
    int reaped = 0;
    for (int i = 0; i < forked; i++) {
        while (waitpid(children[i], NULL, 0) < 0) {
            if (errno != EINTR) break;
        }
        reaped++;
    }
    free(children);
    if (stop_error != 0) {
        out->kind = CRP_FAILED;
        out->error = stop_error;
        snprintf(out->detail, sizeof out->detail, "forked=%d reaped=%d", forked, reaped);
    } else {
        value(out, "forked=%d reaped=%d cap=%d", forked, reaped, max_children);
    }
}

void crp_probe_memhog(long max_mib, crp_result *out) {
    memset(out, 0, sizeof *out);
    const size_t step = 16UL << 20;
    long allocated = 0;
    char line[96];
    while (allocated + 16 <= max_mib) {
        void *block = mmap(NULL, step, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (block == MAP_FAILED) {
            out->kind = CRP_FAILED;
            out->error = errno;
            snprintf(out->detail, sizeof out->detail, "allocated=%ld mmap failed: %s", allocated, strerror(errno));
            return;
        }
        // Touch every page (with a non-zero byte, so nothing can be deduplicated or left unbacked).
        memset(block, 0xA5, step);
        allocated += 16;
        if (allocated % 64 == 0) {
            int length = snprintf(line, sizeof line, "# memhog allocated=%ld\n", allocated);
            ssize_t ignored = write(1, line, (size_t)length);
            (void)ignored;
        }
    }
    value(out, "allocated=%ld not killed", allocated);
}
