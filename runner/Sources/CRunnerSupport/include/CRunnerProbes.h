// Isolation probes for `sandcastle-runner probe`: each one attempts a single thing a
// confined sandbox must not be able to do (or reads one fact about its confinement)
// and reports what the kernel answered. Raw syscalls where glibc has no wrapper, so
// the answer is the kernel's (and seccomp's), not a library's emulation.
//
// No probe leaves anything behind: whatever could change the process (namespaces,
// credentials, personality, tracing) runs in a forked child that exits, and anything
// that unexpectedly succeeds (a mount, a created file, an fd) is undone at once.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How a probe ended.
typedef enum {
    /// The call succeeded (for an attack probe: the sandbox allowed it).
    CRP_SUCCEEDED = 0,
    /// The call failed with `error`.
    CRP_FAILED = 1,
    /// A fact was read; `detail` holds it.
    CRP_VALUE = 2,
    /// The probe could not run here; `detail` says why.
    CRP_SKIPPED = 3,
} crp_kind;

typedef struct {
    crp_kind kind;
    int error;
    char detail[1024];
} crp_result;

/// The probes run by a plain `probe` invocation, in report order.
int crp_probe_count(void);
const char *crp_probe_name(int index);
void crp_probe_run(int index, crp_result *out);

/// A TCP connect to `ip` (IPv4 or IPv6 literal) with a timeout; the socket is closed.
void crp_probe_connect(const char *ip, int port, int timeout_ms, crp_result *out);

/// Forks children that wait until fork fails (or `max_children` is reached), then
/// kills and reaps every one. `detail` is `forked=N reaped=N`.
void crp_probe_forkbomb(int max_children, crp_result *out);

/// Maps and touches memory in 16 MiB steps up to `max_mib`, writing
/// `# memhog allocated=N` lines to stdout as it goes. Under a memory limit the OOM
/// killer normally ends the process before this returns.
void crp_probe_memhog(long max_mib, crp_result *out);

/// The symbolic name of an errno ("EPERM"), or NULL when unknown.
const char *crp_errno_name(int error);

#ifdef __cplusplus
}
#endif
