#include "curl_baseline.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sink { size_t bytes; };

static size_t collect(char *data, size_t size, size_t count, void *user) {
    (void)data;
    ((struct sink *)user)->bytes += size * count;
    return size * count;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int curl_baseline_run(const char *url, const char *const *headers, size_t header_count,
                      const uint8_t *body, size_t body_length, int count, uint64_t *latencies_ns) {
    CURL *easy = curl_easy_init();
    if (!easy) return -1;
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < header_count; i++) list = curl_slist_append(list, headers[i]);
    struct sink sink = {0};
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, (const char *)body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, ""); /* as the engine sets it */
    int result = 0;
    for (int i = 0; i < count; i++) {
        uint64_t start = now_ns();
        CURLcode code = curl_easy_perform(easy);
        latencies_ns[i] = now_ns() - start;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        if (code != CURLE_OK) { result = (int)code; break; }
        if (status != 200) { result = (int)status; break; }
    }
    curl_slist_free_all(list);
    curl_easy_cleanup(easy);
    return result;
}

int curl_baseline_multi_fresh(const char *url, const char *const *headers, size_t header_count,
                              const uint8_t *body, size_t body_length, int count, uint64_t *latencies_ns) {
    CURLM *multi = curl_multi_init();
    if (!multi) return -1;
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < header_count; i++) list = curl_slist_append(list, headers[i]);
    struct sink sink = {0};
    int result = 0;
    for (int i = 0; i < count && result == 0; i++) {
        uint64_t start = now_ns();
        CURL *easy = curl_easy_init();
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, (const char *)body);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(multi, easy);
        int running = 1;
        while (running) {
            curl_multi_perform(multi, &running);
            if (running) curl_multi_poll(multi, NULL, 0, 1000, NULL);
        }
        int queued = 0;
        CURLMsg *message;
        while ((message = curl_multi_info_read(multi, &queued))) {
            if (message->msg == CURLMSG_DONE && message->data.result != CURLE_OK) result = (int)message->data.result;
        }
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        if (result == 0 && status != 200) result = (int)status;
        curl_multi_remove_handle(multi, easy);
        curl_easy_cleanup(easy);
        latencies_ns[i] = now_ns() - start;
    }
    curl_slist_free_all(list);
    curl_multi_cleanup(multi);
    return result;
}
