#ifndef CURL_BASELINE_H
#define CURL_BASELINE_H
#include <stddef.h>
#include <stdint.h>

/// The direct baseline for the provider-layer benchmark: `count` POSTs of `body` to `url` with
/// plain libcurl (one easy handle, connection reused, curl_easy_perform), the response read into
/// a buffer and nothing parsed. Each request's wall time goes to latencies_ns[i].
/// Returns 0, or the first curl error / non-200 status.
int curl_baseline_run(const char *url, const char *const *headers, size_t header_count,
                      const uint8_t *body, size_t body_length, int count, uint64_t *latencies_ns);

/// The same through curl's multi interface on the calling thread, with a new easy handle per
/// request (as the engine makes one per transfer): the cost of curl's own per-transfer setup.
int curl_baseline_multi_fresh(const char *url, const char *const *headers, size_t header_count,
                              const uint8_t *body, size_t body_length, int count, uint64_t *latencies_ns);

#endif
