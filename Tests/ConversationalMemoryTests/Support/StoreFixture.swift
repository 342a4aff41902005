import ConversationalMemory
import Foundation
import TestSupport
import Testing

/// One store under the conformance suite (`StoreConformanceTests`): how a memory model names it,
/// and how a test damages one memory's stored bytes. A new store passes the suite by adding its
/// fixture to `all`.
struct StoreFixture: Sendable, CustomTestStringConvertible {
    let name: String
    /// `parameters.extra` of a memory model on this store.
    let extra: @Sendable (_ windowSize: Int) -> String
    /// Damages the first entry stored for `memoryID` (or all of them), in the model folder given.
    let damage: @Sendable (_ modelFolder: String, _ memoryID: String) async throws -> Void
    /// Whether the store's bytes are files in the model folder (not a database server's).
    let storesInModelFolder: Bool

    var testDescription: String { name }

    static let all: [StoreFixture] = [files, sqlite, postgres]

    static let files = StoreFixture(
        name: "files",
        extra: { #"{"database": "filesys", "config": {"window_size": \#($0), "tensor_names": ["role", "content", "type"]}}"# },
        damage: { folder, memoryID in
            // Flip a byte of the first entry, just after the header record (12 + magic + id).
            let path = try FileMemoryStore(folder: folder + "/memory").path(for: memoryID)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[12 + 7 + memoryID.utf8.count + 14] ^= 0x55
            try bytes.write(to: URL(fileURLWithPath: path))
        },
        storesInModelFolder: true)

    static let sqlite = StoreFixture(
        name: "sqlite",
        extra: { #"{"database": "sql", "config": {"url": "sqlite:///memory.db", "connection_options": {}, "window_size": \#($0), "tensor_names": ["role", "content", "type"]}}"# },
        damage: { folder, memoryID in
            try SQLiteShell.execute(path: folder + "/memory.db", "UPDATE inferwire_memory SET parts = x'ff00ff' WHERE memory_id = '\(memoryID)'")
        },
        storesInModelFolder: true)

    static let postgres = StoreFixture(
        name: "postgres",
        extra: { #"{"database": "sql", "config": {"url": "\#(postgresURL)", "connection_options": {"pool_size": 4, "connect_timeout": 30}, "window_size": \#($0), "tensor_names": ["role", "content", "type"]}}"# },
        damage: { _, memoryID in
            try await Shell.run("psql", [postgresURL, "-v", "ON_ERROR_STOP=1", "-qc", "UPDATE inferwire_memory SET parts = '\\xff00ff'::bytea WHERE memory_id = '\(memoryID)'"])
        },
        storesInModelFolder: false)

    /// The test PostgreSQL server scripts/test.sh starts (scripts/postgres-test-server.sh).
    static var postgresURL: String {
        ProcessInfo.processInfo.environment["INFERWIRE_TEST_POSTGRES_URL"]
            ?? "postgresql://missing-INFERWIRE_TEST_POSTGRES_URL-run-scripts-test.sh@127.0.0.1:1/none"
    }
}

/// Runs a command (without blocking the concurrency pool) and fails with its output when it fails.
enum Shell {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(_ command: String, _ arguments: [String]) async throws {
        let result = try await ChildProcess.run("/usr/bin/env", [command] + arguments)
        guard result.status == 0 else {
            throw Failure(description: "\(command) failed: \(String(decoding: result.stdout + result.stderr, as: UTF8.self))")
        }
    }
}
