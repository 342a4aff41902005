#include "memory_baseline.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t next_random(uint64_t *state) {
    *state += 0x9E3779B97F4A7C15ull;
    uint64_t z = *state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static const char *SCHEMA =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS inferwire_memory (memory_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL,"
    " parts BLOB NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (memory_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS inferwire_memory_system ON inferwire_memory (memory_id, role, seq);";

static const char *INSERT_SQL =
    "INSERT INTO inferwire_memory (memory_id, seq, role, parts, created_at)"
    " SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4 FROM inferwire_memory WHERE memory_id = ?1";
static const char *WINDOW_SQL = "SELECT role, parts FROM inferwire_memory WHERE memory_id = ?1 ORDER BY seq DESC LIMIT ?2";

int sqlite_baseline_populate(const char *path, int ids, int per_id, const uint8_t *parts, size_t parts_length) {
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) return 1;
    if (sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) return 2;
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *insert = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO inferwire_memory VALUES (?1, ?2, ?3, ?4, 0)", -1, &insert, NULL);
    char id[32];
    for (int n = 0; n < ids; n++) {
        snprintf(id, sizeof id, "id-%d", n);
        for (int seq = 1; seq <= per_id; seq++) {
            sqlite3_bind_text(insert, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(insert, 2, seq);
            sqlite3_bind_text(insert, 3, seq % 2 ? "user" : "assistant", -1, SQLITE_STATIC);
            sqlite3_bind_blob(insert, 4, parts, (int)parts_length, SQLITE_STATIC);
            if (sqlite3_step(insert) != SQLITE_DONE) return 3;
            sqlite3_reset(insert);
        }
    }
    sqlite3_finalize(insert);
    int code = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return code == SQLITE_OK ? 0 : 4;
}

int sqlite_baseline_run(const char *path, int ids, int count, int window, const uint8_t *parts, size_t parts_length,
                        uint64_t seed, uint64_t *latencies_ns) {
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) return 1;
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) return 2;
    sqlite3_stmt *insert = NULL, *select = NULL;
    sqlite3_prepare_v2(db, INSERT_SQL, -1, &insert, NULL);
    sqlite3_prepare_v2(db, WINDOW_SQL, -1, &select, NULL);
    char id[32];
    for (int i = 0; i < count; i++) {
        snprintf(id, sizeof id, "id-%d", (int)(next_random(&seed) % (uint64_t)ids));
        uint64_t start = now_ns();
        sqlite3_bind_text(insert, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 2, "user", -1, SQLITE_STATIC);
        sqlite3_bind_blob(insert, 3, parts, (int)parts_length, SQLITE_TRANSIENT);
        sqlite3_bind_double(insert, 4, 0);
        if (sqlite3_step(insert) != SQLITE_DONE) return 3;
        sqlite3_reset(insert);
        sqlite3_bind_text(select, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(select, 2, window);
        size_t bytes = 0;
        while (sqlite3_step(select) == SQLITE_ROW) bytes += (size_t)sqlite3_column_bytes(select, 1);
        sqlite3_reset(select);
        latencies_ns[i] = now_ns() - start;
        if (bytes == 0) return 5;
    }
    sqlite3_finalize(insert);
    sqlite3_finalize(select);
    sqlite3_close(db);
    return 0;
}

int postgres_baseline_populate(const char *conninfo, int ids, int per_id, const uint8_t *parts, size_t parts_length) {
    PGconn *connection = PQconnectdb(conninfo);
    if (PQstatus(connection) != CONNECTION_OK) return 1;
    PQclear(PQexec(connection, "DROP TABLE IF EXISTS inferwire_memory"));
    PGresult *result = PQexec(connection,
        "CREATE TABLE IF NOT EXISTS inferwire_memory (memory_id TEXT NOT NULL, seq BIGINT NOT NULL, role TEXT NOT NULL,"
        " parts BYTEA NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (memory_id, seq))");
    PQclear(result);
    char ids_text[16], per_text[16];
    snprintf(ids_text, sizeof ids_text, "%d", ids);
    snprintf(per_text, sizeof per_text, "%d", per_id);
    const char *values[3] = {ids_text, per_text, (const char *)parts};
    int lengths[3] = {0, 0, (int)parts_length};
    int formats[3] = {0, 0, 1};
    result = PQexecParams(connection,
        "INSERT INTO inferwire_memory (memory_id, seq, role, parts)"
        " SELECT 'id-' || n, s, CASE WHEN s % 2 = 1 THEN 'user' ELSE 'assistant' END, $3"
        " FROM generate_series(0, $1::int - 1) n, generate_series(1, $2::int) s",
        3, NULL, values, lengths, formats, 0);
    int ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    PQfinish(connection);
    return ok ? 0 : 2;
}

int postgres_baseline_run(const char *conninfo, int ids, int count, int window, const uint8_t *parts, size_t parts_length,
                          uint64_t seed, uint64_t *latencies_ns) {
    PGconn *connection = PQconnectdb(conninfo);
    if (PQstatus(connection) != CONNECTION_OK) return 1;
    PGresult *prepared = PQprepare(connection, "append",
        "INSERT INTO inferwire_memory (memory_id, seq, role, parts)"
        " SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3 FROM inferwire_memory WHERE memory_id = $1", 3, NULL);
    PQclear(prepared);
    prepared = PQprepare(connection, "window",
        "(SELECT seq, role, parts FROM inferwire_memory WHERE memory_id = $1 ORDER BY seq DESC LIMIT $2::int)"
        " UNION (SELECT seq, role, parts FROM inferwire_memory WHERE memory_id = $1 AND role = 'system' ORDER BY seq DESC LIMIT 1)"
        " ORDER BY seq DESC", 2, NULL);
    PQclear(prepared);
    char id[32], window_text[16];
    snprintf(window_text, sizeof window_text, "%d", window);
    for (int i = 0; i < count; i++) {
        snprintf(id, sizeof id, "id-%d", (int)(next_random(&seed) % (uint64_t)ids));
        uint64_t start = now_ns();
        const char *append_values[3] = {id, "user", (const char *)parts};
        int append_lengths[3] = {0, 0, (int)parts_length};
        int append_formats[3] = {0, 0, 1};
        PGresult *result = PQexecPrepared(connection, "append", 3, append_values, append_lengths, append_formats, 1);
        int ok = PQresultStatus(result) == PGRES_COMMAND_OK;
        PQclear(result);
        if (!ok) return 3;
        const char *window_values[2] = {id, window_text};
        result = PQexecPrepared(connection, "window", 2, window_values, NULL, NULL, 1);
        ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0;
        PQclear(result);
        latencies_ns[i] = now_ns() - start;
        if (!ok) return 4;
    }
    PQfinish(connection);
    return 0;
}
