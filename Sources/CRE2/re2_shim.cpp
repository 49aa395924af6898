// The C API of CRE2.h over re2::RE2. Kept minimal: compile, find, free.
#include "CRE2.h"

#include <re2/re2.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

struct cre2_regex {
    re2::RE2 compiled;
    cre2_regex(const re2::StringPiece &pattern, const re2::RE2::Options &options) : compiled(pattern, options) {}
};

static char *copy_message(const std::string &message) {
    char *copy = static_cast<char *>(std::malloc(message.size() + 1));
    if (copy == nullptr) return nullptr;
    std::memcpy(copy, message.data(), message.size());
    copy[message.size()] = '\0';
    return copy;
}

extern "C" cre2_regex *cre2_compile(const char *pattern, size_t length, int case_insensitive, char **error) {
    if (error != nullptr) *error = nullptr;
    re2::RE2::Options options;
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    options.set_case_sensitive(case_insensitive == 0);
    // Errors go back to the caller, not to stderr.
    options.set_log_errors(false);
    // A larger DFA budget than the default 8 MiB keeps big alternations on the fast DFA path
    // instead of RE2's (still linear, but slower) NFA fallback.
    options.set_max_mem(int64_t(64) << 20);
    cre2_regex *regex = new (std::nothrow) cre2_regex(re2::StringPiece(pattern, length), options);
    if (regex == nullptr) {
        if (error != nullptr) *error = copy_message("out of memory");
        return nullptr;
    }
    if (!regex->compiled.ok()) {
        if (error != nullptr) *error = copy_message(regex->compiled.error());
        delete regex;
        return nullptr;
    }
    return regex;
}

extern "C" void cre2_free(cre2_regex *regex) { delete regex; }

extern "C" void cre2_free_error(char *error) { std::free(error); }

extern "C" int cre2_find(const cre2_regex *regex, const char *text, size_t length, size_t start,
                         size_t *match_start, size_t *match_end) {
    if (regex == nullptr || start > length) return 0;
    re2::StringPiece input(text, length);
    re2::StringPiece match;
    if (!regex->compiled.Match(input, start, length, re2::RE2::UNANCHORED, &match, 1)) return 0;
    *match_start = size_t(match.data() - text);
    *match_end = *match_start + match.size();
    return 1;
}
