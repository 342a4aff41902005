import InferWireCore

/// Reads JSON text (RFC 8259) byte by byte into a `JSONDocument`, in one pass over the caller's
/// bytes: no `Data` copy, no Codable containers, no error thrown and caught per value (the
/// HTTP door spent 40% of a chat request's CPU in `JSONDecoder` before this).
///
/// Integers that fit are `.int` (then `.uint`), every other number `.double`; object keys come
/// out sorted, a repeated key keeping its last value; strings are checked to be UTF-8. An error
/// says what was found and where (line, column and byte offset).
struct JSONReader {
    /// Deeper documents are refused rather than risking the stack.
    static let maximumDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private let sortingKeys: Bool
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeRawBufferPointer, sortingKeys: Bool) {
        self.bytes = bytes
        self.sortingKeys = sortingKeys
    }

    /// `sortingKeys` false keeps members as written (for text this program wrote itself).
    static func read(_ bytes: UnsafeRawBufferPointer, sortingKeys: Bool = true) throws(JSONValue.SyntaxError) -> JSONDocument {
        var reader = JSONReader(bytes, sortingKeys: sortingKeys)
        reader.skipWhitespace()
        let value = try reader.value()
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw reader.failure("text after the JSON value") }
        return value
    }

    // MARK: Values

    private mutating func value() throws(JSONValue.SyntaxError) -> JSONDocument {
        guard index < bytes.count else { throw failure("a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("a value")
        }
    }

    private mutating func object() throws(JSONValue.SyntaxError) -> JSONDocument {
        try enter()
        index += 1
        var members: [(String, JSONDocument)] = []
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw failure("a string key") }
            let key = try string()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw failure("':' after the key \(JSONString.quoted(key))") }
            index += 1
            skipWhitespace()
            members.append((key, try value()))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(sortingKeys ? Self.sortedByKey(members) : members)
            default: throw failure("',' or '}' in an object")
            }
        }
    }

    private mutating func array() throws(JSONValue.SyntaxError) -> JSONDocument {
        try enter()
        index += 1
        var values: [JSONDocument] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try value())
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(values)
            default: throw failure("',' or ']' in an array")
            }
        }
    }

    private mutating func enter() throws(JSONValue.SyntaxError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw JSONValue.SyntaxError(message: "the JSON nests deeper than \(Self.maximumDepth) levels \(location)")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONValue.SyntaxError) {
        let matches = word.withUTF8Buffer { expected in
            bytes.count - index >= expected.count && expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw failure("a value") }
        index += word.utf8CodeUnitCount
    }

    /// Keys in order, the last of a repeated key kept (as a decoder into a dictionary would).
    private static func sortedByKey(_ members: [(String, JSONDocument)]) -> [(String, JSONDocument)] {
        guard members.count > 1 else { return members }
        var ascending = true
        for position in 1..<members.count where !(members[position - 1].0 < members[position].0) {
            ascending = false
            break
        }
        if ascending { return members }
        let order = members.indices.sorted { members[$0].0 != members[$1].0 ? members[$0].0 < members[$1].0 : $0 < $1 }
        var sorted: [(String, JSONDocument)] = []
        sorted.reserveCapacity(members.count)
        for position in order {
            if let last = sorted.last, last.0 == members[position].0 {
                sorted[sorted.count - 1] = members[position]
            } else {
                sorted.append(members[position])
            }
        }
        return sorted
    }

    // MARK: Strings

    private mutating func string() throws(JSONValue.SyntaxError) -> String {
        index += 1
        let start = index
        // Most strings have no escapes: find the closing quote and copy once.
        skipPlainBytes()
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            let text = try utf8String(UnsafeRawBufferPointer(rebasing: bytes[start..<index]), at: start)
            index += 1
            return text
        }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(index - start + 16)
        unescaped.append(contentsOf: bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let text = try unescaped.withUnsafeBytes { raw in
                    Result { () throws(JSONValue.SyntaxError) in try utf8String(raw, at: start) }
                }.get()
                index += 1
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &unescaped)
            case 0..<0x20:
                throw failure("an escaped control character (a raw one is not allowed in a string)")
            default:
                // Copy the run up to the next quote, backslash or control character at once.
                let runStart = index
                skipPlainBytes()
                unescaped.append(contentsOf: bytes[runStart..<index])
            }
        }
        throw failure("the closing '\"' of a string")
    }

    /// Moves past bytes that stand as themselves in a string (not a quote, a backslash or a
    /// control character), eight at a time while a whole word has none: a 7 MB base64 image
    /// is one string.
    private mutating func skipPlainBytes() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        while bytes.count - index >= 8 {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            // A byte is zero in `quotes` or `backslashes`, or below 0x20 in `word`, exactly when
            // its high bit survives here (the classic "has a zero byte" / "has a byte less than" tests).
            let found = ((quotes &- ones) & ~quotes) | ((backslashes &- ones) & ~backslashes) | ((word &- ones &* 0x20) & ~word)
            if found & highBits != 0 { break }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return }
            index += 1
        }
    }

    private mutating func escape(into unescaped: inout [UInt8]) throws(JSONValue.SyntaxError) {
        index += 1
        guard index < bytes.count else { throw failure("an escape after '\\'") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(byte)
        case UInt8(ascii: "b"): unescaped.append(0x08)
        case UInt8(ascii: "f"): unescaped.append(0x0C)
        case UInt8(ascii: "n"): unescaped.append(0x0A)
        case UInt8(ascii: "r"): unescaped.append(0x0D)
        case UInt8(ascii: "t"): unescaped.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by `\u` and a low one.
                guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure("the low surrogate after \\u\(String(scalar, radix: 16))")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw failure("a low surrogate (\\udc00-\\udfff)") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                index -= 6
                throw failure("a high surrogate before a low one")
            }
            unescaped.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
        default:
            index -= 1
            throw failure("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        }
    }

    private mutating func hex4() throws(JSONValue.SyntaxError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("four hex digits after \\u") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("four hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private func utf8String(_ raw: UnsafeRawBufferPointer, at start: Int) throws(JSONValue.SyntaxError) -> String {
        // UTF8Span validates in specialised code (`String(validating:as:)` does not).
        let elements = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
        guard let utf8 = try? UTF8Span(validating: Span(_unsafeElements: elements)) else {
            throw JSONValue.SyntaxError(message: "the string starting \(Self.location(in: bytes, at: start)) is not valid UTF-8")
        }
        return String(copying: utf8)
    }

    // MARK: Numbers

    private mutating func number() throws(JSONValue.SyntaxError) -> JSONDocument {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let digitsStart = index
        guard isDigit(peek) else { throw failure("a digit") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(peek) { throw failure("no leading zero (a number starting 0 is 0, 0.x or 0ex)") }
        } else {
            while isDigit(peek) { index += 1 }
        }
        let digitsEnd = index
        var integral = true
        if peek == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard isDigit(peek) else { throw failure("a digit after '.'") }
            while isDigit(peek) { index += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            integral = false
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard isDigit(peek) else { throw failure("a digit in the exponent") }
            while isDigit(peek) { index += 1 }
        }
        if integral, digitsEnd - digitsStart <= 20 {
            var magnitude: UInt64 = 0
            var overflow = false
            for position in digitsStart..<digitsEnd {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                magnitude = sum
            }
            if !overflow {
                if !negative {
                    return magnitude <= UInt64(Int64.max) ? .int(Int64(magnitude)) : .uint(magnitude)
                }
                if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
                if magnitude == UInt64(Int64.max) + 1 { return .int(.min) }
            }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let double = Double(text), double.isFinite else {
            throw JSONValue.SyntaxError(message: "the number \(text) \(Self.location(in: bytes, at: start)) is out of range")
        }
        return .double(double)
    }

    // MARK: Bytes and errors

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// "expected X, found Y at line L, column C (byte B)".
    private func failure(_ expected: String) -> JSONValue.SyntaxError {
        let found: String
        if index >= bytes.count {
            found = "the end of the text"
        } else {
            let byte = bytes[index]
            found = (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        }
        return JSONValue.SyntaxError(message: "expected \(expected), found \(found) \(location)")
    }

    private var location: String { Self.location(in: bytes, at: index) }

    private static func location(in bytes: UnsafeRawBufferPointer, at offset: Int) -> String {
        var line = 1
        var lineStart = 0
        for position in 0..<min(offset, bytes.count) where bytes[position] == 0x0A {
            line += 1
            lineStart = position + 1
        }
        return "at line \(line), column \(offset - lineStart + 1) (byte \(offset))"
    }
}
