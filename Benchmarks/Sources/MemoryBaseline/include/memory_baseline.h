#ifndef MEMORY_BASELINE_H
#define MEMORY_BASELINE_H
#include <stddef.h>
#include <stdint.h>

/// The direct baselines for the memory benchmark: the same SQL InferWire's stores run, from a
/// small C program (SQLite through libsqlite3, PostgreSQL through libpq), one request = append
/// one entry to conversation `id-<k>` then read its window. Latencies per request in ns.
/// Each returns 0, or an error code.

/// Fills the table with `ids` conversations of `per_id` entries each (one transaction).
int sqlite_baseline_populate(const char *path, int ids, int per_id, const uint8_t *parts, size_t parts_length);
int sqlite_baseline_run(const char *path, int ids, int count, int window, const uint8_t *parts, size_t parts_length,
                        uint64_t seed, uint64_t *latencies_ns);

int postgres_baseline_populate(const char *conninfo, int ids, int per_id, const uint8_t *parts, size_t parts_length);
int postgres_baseline_run(const char *conninfo, int ids, int count, int window, const uint8_t *parts, size_t parts_length,
                          uint64_t seed, uint64_t *latencies_ns);
#endif
