import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn, its standard streams redirected to files. Tests use
/// it instead of Foundation's `Process`, whose `run()` crashed intermittently on Linux here
/// (inside its memmove, with the whole suite running), and whose waiting blocks a thread. Its
/// end is polled (`waitpid` with WNOHANG), so waiting never blocks the concurrency pool.
public final class SpawnedProcess: @unchecked Sendable {
    public enum TerminationReason: Sendable {
        case exit, uncaughtSignal
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    public let processIdentifier: Int32
    private let lock = NSLock()
    /// The raw wait status, once reaped.
    private var waitStatus: Int32?

    /// `executable` is a path; `environment` nil inherits this process's; `stdin` nil reads
    /// /dev/null. Every other descriptor is closed in the child.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil, stdin: String? = nil, stdout: String, stderr: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // glibc 2.34+ (Debian 12 has 2.36) closes every other descriptor in the child, so it
        // inherits no socket of the test process; Swift's Glibc module does not export it.
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = environment ?? ProcessInfo.processInfo.environment
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))") }
        processIdentifier = pid
    }

    deinit {
        // Reap it if it ended; a process still running is the owner's to kill.
        _ = poll()
    }

    private func poll() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let waitStatus { return waitStatus }
        var status: Int32 = 0
        if waitpid(processIdentifier, &status, WNOHANG) == processIdentifier { waitStatus = status }
        return waitStatus
    }

    public var isRunning: Bool { poll() == nil }

    /// The exit status, or the signal that ended it; -1 while running.
    public var terminationStatus: Int32 {
        guard let status = poll() else { return -1 }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    public var terminationReason: TerminationReason {
        (poll() ?? 0) & 0x7f == 0 ? .exit : .uncaughtSignal
    }

    /// Waits for the end without blocking a thread: false if it still runs after `timeout`.
    public func waitForExit(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
