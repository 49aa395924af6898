// A tiny C API over Google's RE2 (Debian's libre2), so Swift can use it without C++ interop.
// RE2 runs in time linear in the input: no backtracking, so no catastrophic patterns.
#ifndef CRE2_H
#define CRE2_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A compiled RE2. Immutable once compiled: safe to use from many threads at once.
typedef struct cre2_regex cre2_regex;

/// Compiles `pattern` (`length` bytes of UTF-8, NUL bytes allowed) in RE2 syntax.
/// Returns NULL when it does not compile; then `*error` (when `error` is not NULL) receives a
/// malloc'd, NUL-terminated message that the caller frees with `cre2_free_error`.
cre2_regex *cre2_compile(const char *pattern, size_t length, int case_insensitive, char **error);

/// Frees a regex from `cre2_compile` (NULL is allowed).
void cre2_free(cre2_regex *regex);

/// Frees an error message from `cre2_compile` (NULL is allowed).
void cre2_free_error(char *error);

/// Finds the leftmost match in `text[start..<length]` (unanchored; `text` is `length` bytes of
/// UTF-8, NUL bytes allowed). Returns 1 and the match's byte offsets in `text` when there is one,
/// 0 when there is none.
int cre2_find(const cre2_regex *regex, const char *text, size_t length, size_t start,
              size_t *match_start, size_t *match_end);

#ifdef __cplusplus
}
#endif

#endif
