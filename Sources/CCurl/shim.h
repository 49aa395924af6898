// Swift cannot call C variadic functions, so curl_easy_setopt / curl_easy_getinfo /
// curl_multi_setopt are wrapped in typed `static inline` helpers, one per argument kind.
// Macros that Swift does not import (composite expressions) are re-exported as constants.
#ifndef SANDCASTLE_CCURL_SHIM_H
#define SANDCASTLE_CCURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*sc_curl_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*sc_curl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                         curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode sc_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sc_curl_easy_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// For string options (libcurl copies them since 7.17) and for opaque pointers
/// (userdata, error buffer, header lists) whose lifetime the caller manages.
static inline CURLcode sc_curl_easy_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sc_curl_easy_setopt_data_callback(CURL *handle, CURLoption option,
                                                         sc_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode sc_curl_easy_setopt_seek_callback(CURL *handle, curl_seek_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, callback);
}

static inline CURLcode sc_curl_easy_setopt_xferinfo_callback(CURL *handle,
                                                             sc_curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode sc_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode sc_curl_easy_getinfo_socket(CURL *handle, CURLINFO info, curl_socket_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode sc_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode sc_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

static const int sc_curl_pause_cont = CURLPAUSE_CONT;
static const size_t sc_curl_writefunc_pause = CURL_WRITEFUNC_PAUSE;
static const size_t sc_curl_readfunc_abort = CURL_READFUNC_ABORT;
static const size_t sc_curl_readfunc_pause = CURL_READFUNC_PAUSE;
static const long sc_curl_http_version_1_1 = CURL_HTTP_VERSION_1_1;

#endif
