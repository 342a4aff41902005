import ExtrasBase64

/// A history element, byte for byte as Seldon's runtime writes it (Python's `json.dumps`:
/// `", "` and `": "` separators, non-ASCII escaped as `\uXXXX`):
/// `{"role": "user", "content": [{"type": "text", "value": "Hey how are you?"}]}`.
/// Media values, raw bytes at rest, appear as base64 here (the element is JSON text).
enum HistoryJSON {
    static func element(_ entry: MemoryEntry) -> String {
        var output = #"{"role": "# + quoted(entry.role) + #", "content": ["#
        for (index, part) in entry.parts.enumerated() {
            if index > 0 { output += ", " }
            let value = part.type == "text" ? String(decoding: part.value, as: UTF8.self) : Base64.encodeToString(bytes: part.value)
            output += #"{"type": "# + quoted(part.type) + #", "value": "# + quoted(value) + "}"
        }
        return output + "]}"
    }

    /// A string as Python's `json.dumps` with `ensure_ascii=True` writes it.
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
