import InferWireCore

/// Writes provider request bodies. Foundation's JSONSerialization costs about 35 µs for a small
/// chat request on Linux, most of the provider layer's budget; this writer walks the same
/// dictionaries in a few µs. Keys are sorted so bodies are deterministic.
///
/// Takes native Swift values only: String, Bool, Int, Double, [String: Any], [Any], `JSONNull`
/// and `RawJSON` (JSON text already validated, such as a tool schema, written as is).
enum JSONWriter {
    static func write(_ value: Any) throws(ProviderError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(512)
        try write(value, into: &output)
        return output
    }

    private static func write(_ value: Any, into output: inout [UInt8]) throws(ProviderError) {
        switch value {
        case let text as String:
            writeString(text, into: &output)
        case let flag as Bool:
            output.append(contentsOf: flag ? Array("true".utf8) : Array("false".utf8))
        case let number as Int:
            output.append(contentsOf: String(number).utf8)
        case let number as Double:
            guard number.isFinite else { throw ProviderError(.invalidArgument, "\(number) cannot be sent as JSON") }
            output.append(contentsOf: number.description.utf8)
        case let object as [String: Any]:
            output.append(UInt8(ascii: "{"))
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                try write(object[key]!, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        case let list as [Any]:
            output.append(UInt8(ascii: "["))
            for (index, element) in list.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case is JSONNull:
            output.append(contentsOf: "null".utf8)
        case let raw as RawJSON:
            output.append(contentsOf: raw.text.utf8)
        default:
            throw ProviderError(.invalidArgument, "cannot write \(type(of: value)) as JSON")
        }
    }

    /// A JSON string, escaped by the project's one escaper.
    static func writeString(_ text: String, into output: inout [UInt8]) {
        JSONString.appendQuoted(text, to: &output)
    }
}

/// JSON null in a body built for `JSONWriter`.
struct JSONNull {}

/// JSON text that has been validated, written into a body unchanged.
struct RawJSON {
    let text: String
}
