// Typed wrappers for libcurl's variadic option setters, which Swift cannot call directly.
// Hand-written: one wrapper per argument kind.
#ifndef INFERWIRE_CCURL_SHIM_H
#define INFERWIRE_CCURL_SHIM_H

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

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

static inline CURLMcode iw_multi_setopt_pointer(CURLM *handle, CURLMoption option, void *value) {
    return curl_multi_setopt(handle, option, value);
}

typedef int (*iw_socket_callback)(CURL *easy, curl_socket_t socket, int what, void *context, void *socketContext);
typedef int (*iw_timer_callback)(CURLM *multi, long timeoutMilliseconds, void *context);

static inline CURLMcode iw_multi_setopt_socket_callback(CURLM *handle, iw_socket_callback callback) {
    return curl_multi_setopt(handle, CURLMOPT_SOCKETFUNCTION, callback);
}

static inline CURLMcode iw_multi_setopt_timer_callback(CURLM *handle, iw_timer_callback callback) {
    return curl_multi_setopt(handle, CURLMOPT_TIMERFUNCTION, callback);
}

// epoll for the curl driver, wrapped here because `struct epoll_event` is packed on x86_64.
// The event's data is the descriptor itself.

/// Watches `fd` for `events`, whether or not it was watched before.
static inline int iw_epoll_watch(int epoll, int fd, uint32_t events) {
    struct epoll_event event = { .events = events, .data = { .fd = fd } };
    if (epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) == 0) return 0;
    if (errno != ENOENT) return -1;
    return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

static inline void iw_epoll_unwatch(int epoll, int fd) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
}

/// Waits for at most `capacity` (≤ 256) events; their descriptors and event masks go to the
/// two arrays. Returns the count, or -1 (EINTR included).
static inline int iw_epoll_wait(int epoll, int *fds, uint32_t *events, int capacity, int timeoutMilliseconds) {
    struct epoll_event ready[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epoll, ready, capacity, timeoutMilliseconds);
    for (int i = 0; i < count; i++) {
        fds[i] = ready[i].data.fd;
        events[i] = ready[i].events;
    }
    return count;
}

static const uint32_t IW_EPOLLIN = EPOLLIN;
static const uint32_t IW_EPOLLOUT = EPOLLOUT;
static const uint32_t IW_EPOLLERR = EPOLLERR;
static const uint32_t IW_EPOLLHUP = EPOLLHUP;
static const int IW_CURL_POLL_IN = CURL_POLL_IN;
static const int IW_CURL_POLL_OUT = CURL_POLL_OUT;
static const int IW_CURL_POLL_REMOVE = CURL_POLL_REMOVE;
static const int IW_CURL_CSELECT_IN = CURL_CSELECT_IN;
static const int IW_CURL_CSELECT_OUT = CURL_CSELECT_OUT;
static const int IW_CURL_CSELECT_ERR = CURL_CSELECT_ERR;
static const curl_socket_t IW_CURL_SOCKET_TIMEOUT = CURL_SOCKET_TIMEOUT;

// Enum values that import awkwardly as macros.
static const long IW_CURL_WRITEFUNC_PAUSE = (long)CURL_WRITEFUNC_PAUSE;
static const int IW_CURLPAUSE_CONT = CURLPAUSE_CONT;
static const long IW_CURL_HTTP_VERSION_2TLS = CURL_HTTP_VERSION_2TLS;

#endif
