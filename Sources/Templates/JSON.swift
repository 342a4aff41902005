import Foundation

/// Order-preserving JSON reader for contexts (Foundation's JSONSerialization loses key order).
struct JSONParser {
    struct Failure: Error, CustomStringConvertible {
        let message: String
        let offset: Int
        var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    let b: [UInt8]
    var i = 0
    var depth = 0

    init(_ bytes: [UInt8]) { b = bytes }

    mutating func parseDocument() throws -> TemplateValue {
        skipWS()
        let v = try parseValue()
        skipWS()
        if i != b.count { throw Failure(message: "trailing data", offset: i) }
        return v
    }

    mutating func skipWS() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func parseValue() throws -> TemplateValue {
        guard i < b.count else { throw Failure(message: "unexpected end", offset: i) }
        switch b[i] {
        case UInt8(ascii: "{"):
            depth += 1
            if depth > 512 { throw Failure(message: "nesting too deep", offset: i) }
            defer { depth -= 1 }
            i += 1
            var d = TemplateDictionary()
            skipWS()
            if i < b.count && b[i] == UInt8(ascii: "}") { i += 1; return .dictionary(d) }
            while true {
                skipWS()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Failure(message: "expected key", offset: i) }
                let k = try parseString()
                skipWS()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Failure(message: "expected ':'", offset: i) }
                i += 1
                skipWS()
                d[k] = try parseValue()
                skipWS()
                guard i < b.count else { throw Failure(message: "unexpected end", offset: i) }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .dictionary(d) }
                throw Failure(message: "expected ',' or '}'", offset: i)
            }
        case UInt8(ascii: "["):
            depth += 1
            if depth > 512 { throw Failure(message: "nesting too deep", offset: i) }
            defer { depth -= 1 }
            i += 1
            var a: [TemplateValue] = []
            skipWS()
            if i < b.count && b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                skipWS()
                a.append(try parseValue())
                skipWS()
                guard i < b.count else { throw Failure(message: "unexpected end", offset: i) }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                throw Failure(message: "expected ',' or ']'", offset: i)
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N"): try literal("NaN"); return .double(.nan)
        case UInt8(ascii: "I"): try literal("Infinity"); return .double(.infinity)
        default:
            return try parseNumber()
        }
    }

    mutating func literal(_ s: String) throws {
        let u = Array(s.utf8)
        guard i + u.count <= b.count, Array(b[i..<(i + u.count)]) == u else { throw Failure(message: "invalid literal", offset: i) }
        i += u.count
    }

    mutating func parseNumber() throws -> TemplateValue {
        let start = i
        var isFloat = false
        if i < b.count && b[i] == UInt8(ascii: "-") {
            i += 1
            if i + 8 <= b.count, String(decoding: b[i..<(i + 8)], as: UTF8.self) == "Infinity" { i += 8; return .double(-.infinity) }
        }
        while i < b.count {
            let c = b[i]
            if c >= 48 && c <= 57 { i += 1; continue }
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                isFloat = true
                i += 1
                continue
            }
            break
        }
        let text = String(decoding: b[start..<i], as: UTF8.self)
        if text.isEmpty || text == "-" { throw Failure(message: "unexpected character", offset: start) }
        if !isFloat, let v = Int(text) { return .int(v) }
        guard let d = Double(text) else { throw Failure(message: "invalid number", offset: start) }
        return .double(d)
    }

    mutating func parseString() throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        var runStart = i
        func flushRun(_ end: Int) {
            if end > runStart { out.append(contentsOf: String(decoding: b[runStart..<end], as: UTF8.self).unicodeScalars) }
        }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                flushRun(i)
                i += 1
                return String(out)
            }
            if c == UInt8(ascii: "\\") {
                flushRun(i)
                i += 1
                guard i < b.count else { break }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append("\n")
                case UInt8(ascii: "t"): out.append("\t")
                case UInt8(ascii: "r"): out.append("\r")
                case UInt8(ascii: "b"): out.append(Unicode.Scalar(8))
                case UInt8(ascii: "f"): out.append(Unicode.Scalar(12))
                case UInt8(ascii: "/"): out.append("/")
                case UInt8(ascii: "\\"): out.append("\\")
                case UInt8(ascii: "\""): out.append("\"")
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if v >= 0xD800 && v < 0xDC00, i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let lo = try hex4()
                        if lo >= 0xDC00 && lo < 0xE000 {
                            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                    out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                default: throw Failure(message: "invalid escape", offset: i - 1)
                }
                runStart = i
                continue
            }
            i += 1
        }
        throw Failure(message: "unterminated string", offset: i)
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<(i + 4)], as: UTF8.self), radix: 16) else {
            throw Failure(message: "invalid \\u escape", offset: i)
        }
        i += 4
        return v
    }
}

extension TemplateValue {
    /// Parses UTF-8 JSON data, preserving object key order.
    public init(json: Data) throws {
        var p = JSONParser([UInt8](json))
        self = try p.parseDocument()
    }
}

/// NSNumber and friends from Foundation's JSONSerialization / property lists.
enum FoundationBridge {
    static func convert(_ any: Any) -> TemplateValue? {
        if any is NSNull { return .null }
        if let n = any as? NSNumber {
            let t = String(cString: n.objCType)
            if t == "c" || t == "B" { return .bool(n.boolValue) }
            if t == "d" || t == "f" { return .double(n.doubleValue) }
            return .int(n.intValue)
        }
        if let a = any as? NSArray { return TemplateValue(any: a.map { $0 as Any? }) }
        if let d = any as? NSDictionary {
            var out: [String: Any?] = [:]
            for (k, v) in d { guard let ks = k as? String else { return nil }; out[ks] = v }
            return TemplateValue(any: out)
        }
        return nil
    }
}

/// Python `json.dumps(obj, sort_keys=True, indent=...)` as used by Jinja2's `tojson`.
enum JSONEncoder {
    static func encode(_ v: Value, indent: String?) throws(TemplateError) -> String {
        var out = ""
        try encode(v, indent: indent, level: 0, into: &out, depth: 0)
        return out
    }

    static func htmlSafe(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "'": out += "\\u0027"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func string(_ s: String, into out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case Unicode.Scalar(8): out += "\\b"
            case Unicode.Scalar(12): out += "\\f"
            default:
                let v = c.value
                if v >= 0x20 && v <= 0x7E {
                    out.unicodeScalars.append(c)
                } else if v < 0x10000 {
                    out += "\\u" + hex4(v)
                } else {
                    let u = v - 0x10000
                    out += "\\u" + hex4(0xD800 + (u >> 10)) + "\\u" + hex4(0xDC00 + (u & 0x3FF))
                }
            }
        }
        out += "\""
    }

    static func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }

    static func float(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return PyRepr.float(d)
    }

    static func key(_ k: Value) throws(TemplateError) -> String {
        switch k {
        case .string(let s), .markup(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .none: return "null"
        case .int(let i): return String(i)
        case .float(let d): return float(d)
        default: throw .type("keys must be str, int, float, bool or None, not \(k.typeName)")
        }
    }

    static func encode(_ v: Value, indent: String?, level: Int, into out: inout String, depth: Int) throws(TemplateError) {
        if depth > 200 { throw .runtime("Circular reference detected") }
        switch v {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let d): out += float(d)
        case .string(let s), .markup(let s): string(s, into: &out)
        case .list, .tuple:
            let items: [Value]
            if case .list(let l) = v { items = l.items } else if case .tuple(let t) = v { items = t } else { items = [] }
            if items.isEmpty { out += "[]"; return }
            out += "["
            let sep = indent == nil ? ", " : ","
            for (i, x) in items.enumerated() {
                if i > 0 { out += sep }
                if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
                try encode(x, indent: indent, level: level + 1, into: &out, depth: depth + 1)
            }
            if let indent { out += "\n" + String(repeating: indent, count: level) }
            out += "]"
        case .dict(let d):
            if d.count == 0 { out += "{}"; return }
            var pairs: [Value] = []
            for i in 0..<d.count { pairs.append(.tuple([d.keys[i], d.values[i]])) }
            // sort_keys=True sorts by the original keys (mixed types raise TypeError).
            let sorted = try Sorting.sorted(pairs, reverse: false) { x throws(TemplateError) in
                if case .tuple(let t) = x { return t[0] }
                return x
            }
            out += "{"
            let sep = indent == nil ? ", " : ","
            for (i, p) in sorted.enumerated() {
                guard case .tuple(let t) = p else { continue }
                if i > 0 { out += sep }
                if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
                string(try key(t[0]), into: &out)
                out += ": "
                try encode(t[1], indent: indent, level: level + 1, into: &out, depth: depth + 1)
            }
            if let indent { out += "\n" + String(repeating: indent, count: level) }
            out += "}"
        case .undefined(let u):
            throw .type("Object of type \(u.strict ? "StrictUndefined" : "Undefined") is not JSON serializable")
        default:
            throw .type("Object of type \(v.typeName) is not JSON serializable")
        }
    }
}
