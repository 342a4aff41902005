/// JSON text as Python's `json.dumps` writes it with its defaults: `", "` and `": "`
/// separators, keys in the order given, non-ASCII escaped as `\uXXXX`, floats as Python's
/// `repr`. What Seldon's runtimes print (`output_all`, memory histories) is this.
public indirect enum PythonJSON: Sendable, Equatable {
    case object([(String, PythonJSON)])
    case array([PythonJSON])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null

    public static func == (lhs: PythonJSON, rhs: PythonJSON) -> Bool { lhs.text == rhs.text }

    public var text: String {
        var output = ""
        write(into: &output)
        return output
    }

    private func write(into output: inout String) {
        switch self {
        case .object(let members):
            output += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { output += ", " }
                output += Self.quoted(member.0) + ": "
                member.1.write(into: &output)
            }
            output += "}"
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += ", " }
                item.write(into: &output)
            }
            output += "]"
        case .string(let value): output += Self.quoted(value)
        case .int(let value): output += String(value)
        case .double(let value): output += Self.repr(value)
        case .bool(let value): output += value ? "true" : "false"
        case .null: output += "null"
        }
    }

    /// Python's `repr` of a float: the shortest text that reads back, `.0` on whole numbers.
    static func repr(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-Infinity" : "Infinity") }
        let text = "\(value)"
        if text.contains("e") {
            // Swift writes 1e+20 as "1e+20"; Python as "1e+20" too, and 1.5e-07 as "1.5e-07".
            let parts = text.split(separator: "e")
            var exponent = String(parts[1])
            let sign = exponent.hasPrefix("-") ? "-" : "+"
            exponent = exponent.trimmingCharacters(in: ["+", "-"])
            if exponent.count < 2 { exponent = "0" + exponent }
            return parts[0] + "e" + sign + exponent
        }
        return text
    }

    static func quoted(_ text: String) -> String {
        var output = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: output += "\\\""
            case 0x5C: output += "\\\\"
            case 0x0A: output += "\\n"
            case 0x0D: output += "\\r"
            case 0x09: output += "\\t"
            case 0x08: output += "\\b"
            case 0x0C: output += "\\f"
            case 0x20...0x7E: output.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return output + "\""
    }
}

private extension String {
    func trimmingCharacters(in characters: Set<Character>) -> String {
        String(drop { characters.contains($0) })
    }
}
