/// Docker's default seccomp profile as the daemon expands it for a container with **no
/// capabilities** on **amd64** (x86_64 with the x86 and x32 sub-architectures), kernel ≥ 4.8.
///
/// Reference data, not code: the names below are the result of expanding
/// `moby/profiles:seccomp/default.json` at commit `3c28324314729dbade8287e868eef6338c42807a`
/// (2026-05-06, "Revert \"seccomp: Block socketcall to prevent AF_ALG filter bypass\"",
/// file sha256 `536529b665dd0972c37bfb569f5d4ac8a53592e7b00752bc39ff063ca9864c74`):
/// every `SCMP_ACT_ALLOW` rule kept when `includes`/`excludes` are evaluated for arch `amd64`,
/// an empty capability set and kernel 6.1. That yields 366 names allowed unconditionally,
/// three argument-filtered ones (`clone`, `personality`, `socket`, with Docker's exact
/// conditions below) and one explicit errno rule (`clone3` → ENOSYS). The same numbers are
/// in `seccomp/README.md` (output of `seccomp/check-against-docker.py`).
///
/// Used to report "allowed by this profile but blocked by Docker's default" and the reverse.
/// To refresh it, expand a newer moby profile the same way and update ``provenance``.
public enum DockerDefaultReference {
    /// Where the data comes from.
    public static let provenance =
        "moby/profiles seccomp/default.json @ 3c28324314729dbade8287e868eef6338c42807a (2026-05-06), "
        + "sha256 536529b665dd0972c37bfb569f5d4ac8a53592e7b00752bc39ff063ca9864c74; expanded for amd64, no capabilities, kernel >= 4.8"

    /// The context the reference was expanded for.
    public static let context = EvaluationContext(architecture: .x86_64, capabilities: [], kernel: KernelVersion(major: 6, minor: 1))

    /// Names Docker's default allows whatever the arguments (366).
    public static let unconditionallyAllowed: [String] = [
        "_llseek", "_newselect", "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk",
        "cachestat", "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
        "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
        "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
        "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2",
        "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2",
        "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
        "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
        "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat",
        "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
        "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
        "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
        "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday",
        "getuid", "getuid32", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
        "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
        "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc", "kill", "landlock_add_rule",
        "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
        "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat",
        "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
        "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "modify_ldt", "mprotect",
        "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
        "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync",
        "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2",
        "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
        "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
        "process_vm_readv", "process_vm_writev", "pselect6", "pselect6_time64", "ptrace", "pwrite64", "pwritev",
        "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
        "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat",
        "renameat2", "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
        "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
        "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
        "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list", "set_thread_area",
        "set_tid_address", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
        "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
        "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32",
        "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
        "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
        "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee",
        "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
        "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
        "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink",
        "unlinkat", "uretprobe", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4",
        "waitid", "waitpid", "write", "writev",
    ]

    /// Names Docker's default allows for some arguments only.
    public static let argumentFiltered = ["clone", "personality", "socket"]

    /// The reference as a profile, so it can be evaluated and diffed like any other.
    public static var profile: SeccompProfile {
        let cloneMask: UInt64 = 0x7E02_0000 // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
        var rules = [SyscallRule(names: unconditionallyAllowed, action: "SCMP_ACT_ALLOW")]
        rules.append(
            SyscallRule(
                names: ["clone"], action: "SCMP_ACT_ALLOW",
                args: [ArgumentCondition(index: 0, value: cloneMask, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")]))
        rules.append(SyscallRule(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38))
        for (value, op) in [(UInt64(38), "SCMP_CMP_LT"), (39, "SCMP_CMP_EQ"), (40, "SCMP_CMP_GT")] {
            rules.append(
                SyscallRule(
                    names: ["socket"], action: "SCMP_ACT_ALLOW",
                    args: [ArgumentCondition(index: 0, value: value, op: op)]))
        }
        for persona: UInt64 in [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff] {
            rules.append(
                SyscallRule(
                    names: ["personality"], action: "SCMP_ACT_ALLOW",
                    args: [ArgumentCondition(index: 0, value: persona, op: "SCMP_CMP_EQ")]))
        }
        return SeccompProfile(
            defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
            archMap: [
                ArchitectureMapping(
                    architecture: "SCMP_ARCH_X86_64",
                    subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"])
            ],
            syscalls: rules)
    }
}
