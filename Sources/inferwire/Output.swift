import Foundation

/// Where a command writes its results: standard output when run from the shell, a collector in
/// tests. Lines are written as they are produced (streamed responses appear as they arrive).
protocol CommandOutput: AnyObject {
    func line(_ text: String)
}

/// Unbuffered standard output, so a pipe reader sees every line at once. When the reader has
/// gone (`inferwire infer ... | head`), the process ends quietly like a shell tool killed by
/// SIGPIPE (NIO ignores SIGPIPE, so the write fails with EPIPE instead).
final class StandardOutput: CommandOutput {
    func line(_ text: String) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
        } catch {
            exit(128 + SIGPIPE)
        }
    }
}

/// Collects lines, for tests.
final class CollectedOutput: CommandOutput {
    private(set) var lines: [String] = []
    var text: String { lines.joined(separator: "\n") }
    func line(_ text: String) { lines.append(text) }
}

func printError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
}
