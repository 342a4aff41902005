import Foundation

/// Runs a program to its end without blocking a thread of the Swift concurrency pool. The pool
/// has one thread per core (two here) and every server under test runs its work there: a test
/// that sits in `waitUntilExit` for seconds starves the rest (PostgreSQL connects time out).
/// Output goes to files; the end is polled (`SpawnedProcess`).
public enum ChildProcess {
    /// A program a test needs is not there.
    public struct Missing: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
    }

    public static func run(_ executable: String, _ arguments: [String], input: URL? = nil) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appendingPathComponent("child-\(UUID().uuidString).out")
        let errURL = directory.appendingPathComponent("child-\(UUID().uuidString).err")
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = try SpawnedProcess(
            executable: executable, arguments: arguments, stdin: input?.path, stdout: outURL.path, stderr: errURL.path)
        _ = try await process.waitForExit(timeout: .seconds(600))
        return Result(
            status: process.terminationStatus, stdout: (try? Data(contentsOf: outURL)) ?? Data(),
            stderr: (try? Data(contentsOf: errURL)) ?? Data())
    }
}
