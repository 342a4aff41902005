import Foundation

/// The tests' Python check scripts (`pychecks.py` harness): which Python runs them, and what a
/// run reported on its last line, `{"checks": n, "failed": [names]}`.
public struct PythonChecks: Sendable {
    public let status: Int32
    /// Everything the script printed (its failed checks say why).
    public let log: String
    /// nil when the script printed no summary (it crashed first).
    public let checks: Int?
    public let failed: [String]?

    /// The venv `scripts/python-env.sh` makes, or `INFERWIRE_PYTHON`.
    public static func python(packageRoot: URL) throws -> String {
        let path = ProcessInfo.processInfo.environment["INFERWIRE_PYTHON"] ?? packageRoot.appendingPathComponent(".build/python-venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ChildProcess.Missing(description: "no Python with the test tools at \(path): run `bash scripts/python-env.sh` (scripts/test.sh does) or set INFERWIRE_PYTHON")
        }
        return path
    }

    /// Runs `script` with `arguments` under the tests' Python.
    public static func run(packageRoot: URL, script: String, _ arguments: [String]) async throws -> PythonChecks {
        let result = try await ChildProcess.run(try python(packageRoot: packageRoot), [packageRoot.appendingPathComponent(script).path] + arguments)
        return PythonChecks(result)
    }

    public init(_ result: ChildProcess.Result) {
        status = result.status
        log = String(decoding: result.stdout + result.stderr, as: UTF8.self)
        let summary = log.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        checks = summary?["checks"] as? Int
        failed = summary?["failed"] as? [String]
    }
}
