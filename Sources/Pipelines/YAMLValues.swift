import Yams

/// `pipeline.yaml` read into plain values (`String`, `Int`, `Double`, `Bool`, `[Any]`,
/// `[String: Any]`), with what an untrusted file could do to the reader bounded.
///
/// Not `Yams.load`: its constructor force-unwraps a mapping key as a string, so a key that is
/// itself a list or a mapping (`[a]: b`) crashes the process; found by FuzzSettings. Here the
/// node tree from `Yams.compose` is walked by hand: such a key is an error with its line, and
/// anchors reused over and over (the "billion laughs" file) stop at a node budget.
enum YAMLValues {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Nodes visited, aliases counted each time they are reached.
    static let nodeBudget = 100_000
    static let maxDepth = 64

    static func load(_ text: String) throws -> Any? {
        // The encoding given, not `.default`: that one reads the whole environment on every call.
        guard let root = try Yams.compose(yaml: text, .default, .default, .utf8) else { return nil }
        var visited = 0
        return try value(root, depth: 0, visited: &visited)
    }

    private static func value(_ node: Node, depth: Int, visited: inout Int) throws -> Any {
        visited += 1
        guard visited <= nodeBudget else { throw Failure(description: "more than \(nodeBudget) values (anchors reused too often?)") }
        guard depth < maxDepth else { throw Failure(description: "nested more than \(maxDepth) levels\(line(node))") }
        switch node {
        case .scalar(let scalar):
            // YAML 1.1's base-60 numbers (`1:30`) are plain strings in YAML 1.2, which Seldon's
            // Go parser reads; Yams also overflowed (a crash) on a long one (found by FuzzSettings).
            if isBase60(scalar.string) { return scalar.string }
            return Constructor.default.any(from: node)
        case .sequence(let sequence):
            return try sequence.map { try value($0, depth: depth + 1, visited: &visited) }
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, item) in mapping {
                guard case .scalar(let scalar) = key else { throw Failure(description: "a mapping key must be a plain value, not a list or a mapping\(line(key))") }
                object[scalar.string] = try value(item, depth: depth + 1, visited: &visited)
            }
            return object
        case .alias:
            throw Failure(description: "an unresolved alias\(line(node))")
        }
    }

    /// `1:30`, `-190:20:30.15`: digits, `_`, a sign and a point around at least one colon.
    static func isBase60(_ text: String) -> Bool {
        text.utf8.contains(UInt8(ascii: ":")) && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || ":_+-.".utf8.contains(byte)
        }
    }

    private static func line(_ node: Node) -> String {
        node.mark.map { " (line \($0.line))" } ?? ""
    }
}
