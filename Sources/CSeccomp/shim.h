#ifndef SANDCASTLE_CSECCOMP_SHIM_H
#define SANDCASTLE_CSECCOMP_SHIM_H

// libseccomp's action and architecture constants are function-like or composite
// macros that Swift cannot import, and seccomp_rule_add is variadic. These inline
// wrappers give Swift plain functions with fixed signatures.

#include <seccomp.h>
#include <stdint.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

static inline uint32_t cseccomp_act_allow(void) { return SCMP_ACT_ALLOW; }
static inline uint32_t cseccomp_act_kill_process(void) { return SCMP_ACT_KILL_PROCESS; }
static inline uint32_t cseccomp_act_kill_thread(void) { return SCMP_ACT_KILL_THREAD; }
static inline uint32_t cseccomp_act_trap(void) { return SCMP_ACT_TRAP; }
static inline uint32_t cseccomp_act_log(void) { return SCMP_ACT_LOG; }
static inline uint32_t cseccomp_act_notify(void) { return SCMP_ACT_NOTIFY; }
static inline uint32_t cseccomp_act_errno(uint16_t value) { return SCMP_ACT_ERRNO(value); }
static inline uint32_t cseccomp_act_trace(uint16_t value) { return SCMP_ACT_TRACE(value); }

static inline uint32_t cseccomp_arch_native(void) { return SCMP_ARCH_NATIVE; }
static inline uint32_t cseccomp_arch_x86(void) { return SCMP_ARCH_X86; }
static inline uint32_t cseccomp_arch_x86_64(void) { return SCMP_ARCH_X86_64; }
static inline uint32_t cseccomp_arch_x32(void) { return SCMP_ARCH_X32; }
static inline uint32_t cseccomp_arch_arm(void) { return SCMP_ARCH_ARM; }
static inline uint32_t cseccomp_arch_aarch64(void) { return SCMP_ARCH_AARCH64; }
static inline uint32_t cseccomp_arch_mips(void) { return SCMP_ARCH_MIPS; }
static inline uint32_t cseccomp_arch_mips64(void) { return SCMP_ARCH_MIPS64; }
static inline uint32_t cseccomp_arch_mips64n32(void) { return SCMP_ARCH_MIPS64N32; }
static inline uint32_t cseccomp_arch_mipsel(void) { return SCMP_ARCH_MIPSEL; }
static inline uint32_t cseccomp_arch_mipsel64(void) { return SCMP_ARCH_MIPSEL64; }
static inline uint32_t cseccomp_arch_mipsel64n32(void) { return SCMP_ARCH_MIPSEL64N32; }
static inline uint32_t cseccomp_arch_ppc(void) { return SCMP_ARCH_PPC; }
static inline uint32_t cseccomp_arch_ppc64(void) { return SCMP_ARCH_PPC64; }
static inline uint32_t cseccomp_arch_ppc64le(void) { return SCMP_ARCH_PPC64LE; }
static inline uint32_t cseccomp_arch_s390(void) { return SCMP_ARCH_S390; }
static inline uint32_t cseccomp_arch_s390x(void) { return SCMP_ARCH_S390X; }
static inline uint32_t cseccomp_arch_parisc(void) { return SCMP_ARCH_PARISC; }
static inline uint32_t cseccomp_arch_parisc64(void) { return SCMP_ARCH_PARISC64; }
static inline uint32_t cseccomp_arch_riscv64(void) { return SCMP_ARCH_RISCV64; }

/// The value libseccomp returns for a name it does not know on an architecture.
static inline int cseccomp_nr_error(void) { return __NR_SCMP_ERROR; }

/// A non-variadic seccomp_rule_add: the comparisons come as an array.
static inline int cseccomp_rule_add(scmp_filter_ctx ctx, uint32_t action, int syscall,
                                    unsigned int count, const struct scmp_arg_cmp *comparisons) {
    return seccomp_rule_add_array(ctx, action, syscall, count, comparisons);
}

/// memfd_create(name, MFD_CLOEXEC) without needing _GNU_SOURCE in the importing module:
/// the exported filter is written there and read back, never touching the disk.
static inline int cseccomp_memfd(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1U /* MFD_CLOEXEC */);
}

#endif
