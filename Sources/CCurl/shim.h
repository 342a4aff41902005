// Typed wrappers for libcurl's variadic option setters, which Swift cannot call directly.
// Hand-written: one wrapper per argument kind.
#ifndef INFERWIRE_CCURL_SHIM_H
#define INFERWIRE_CCURL_SHIM_H

#include <curl/curl.h>

static inline CURLcode iw_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode iw_easy_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode iw_easy_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode iw_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*iw_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode iw_easy_setopt_data_callback(CURL *handle, CURLoption option, iw_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode iw_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode iw_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode iw_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

// Enum values that import awkwardly as macros.
static const long IW_CURL_WRITEFUNC_PAUSE = (long)CURL_WRITEFUNC_PAUSE;
static const int IW_CURLPAUSE_CONT = CURLPAUSE_CONT;
static const long IW_CURL_HTTP_VERSION_2TLS = CURL_HTTP_VERSION_2TLS;

#endif
