import Foundation

/// Where a command writes its results: standard output when run from the shell, a collector in
/// tests. Lines are written as they are produced (streamed responses appear as they arrive).
protocol CommandOutput: AnyObject {
    func line(_ text: String)
    /// Text without a line end (streamed tokens).
    func write(_ text: String)
}

/// Unbuffered standard output, so a pipe reader sees every line at once. When the reader has
/// gone (`inferwire infer ... | head`), the process ends quietly like a shell tool killed by
/// SIGPIPE (NIO ignores SIGPIPE, so the write fails with EPIPE instead).
final class StandardOutput: CommandOutput {
    func line(_ text: String) { write(text + "\n") }

    func write(_ text: String) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            exit(128 + SIGPIPE)
        }
    }
}

/// Collects lines, for tests.
final class CollectedOutput: CommandOutput {
    private(set) var lines: [String] = []
    private var partial = ""
    var text: String { (lines + (partial.isEmpty ? [] : [partial])).joined(separator: "\n") }
    func line(_ text: String) {
        lines.append(partial + text)
        partial = ""
    }
    func write(_ text: String) {
        let pieces = (partial + text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.append(contentsOf: pieces.dropLast())
        partial = pieces.last ?? ""
    }
}

func printError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
}
