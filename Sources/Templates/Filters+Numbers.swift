#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Filters that make or round numbers, with Python's parsing and overflow rules.
extension Filters {
    static func int(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "default,base")
        return try toInt(value, default: a[0] ?? .int(0), base: a[1] ?? .int(10))
    }

    static func float(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "default")
        return try toFloat(value, default: a[0] ?? .float(0))
    }

    static func abs(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        switch value {
        case .int(let i):
            if i == Int.min { throw Ops.overflow("abs") }
            return .int(Swift.abs(i))
        case .bool(let b): return .int(b ? 1 : 0)
        case .float(let d): return .float(Swift.abs(d))
        default: throw .type("bad operand type for abs(): '\(value.typeName)'")
        }
    }

    static func round(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "precision,method")
        let precision = try r.intArg(a[0], "round", default: 0)
        let method = try a[1].map { v throws(TemplateError) in try v.str() } ?? "common"
        guard method == "common" || method == "ceil" || method == "floor" else {
            throw .runtime("method must be common, ceil or floor")
        }
        return try roundValue(value, precision, method, limit: r.maxOutput)
    }

    static func filesizeformat(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "binary")
        return .string(try fileSize(value, binary: try r.boolArg(a[0])))
    }

    private static func toInt(_ value: Value, default dflt: Value, base: Value) throws(TemplateError) -> Value {
        switch value {
        case .int: return value
        case .bool(let b): return .int(b ? 1 : 0)
        case .float(let d):
            if d.isNaN { return dflt }
            if d.isInfinite { throw .runtime("cannot convert float infinity to integer") }
            guard let i = Int(exactly: d.rounded(.towardZero)) else { throw Ops.overflow("int") }
            return .int(i)
        case .string(let s), .markup(let s):
            let b = Ops.asIndex(base) ?? 10
            if let i = PyParse.int(s, base: b) { return .int(i) }
            if let d = PyParse.float(s) {
                if d.isNaN { return dflt }
                if d.isInfinite { throw .runtime("cannot convert float infinity to integer") }
                guard let i = Int(exactly: d.rounded(.towardZero)) else { throw Ops.overflow("int") }
                return .int(i)
            }
            return dflt
        case .undefined(let u): throw u.error
        default: return dflt
        }
    }

    private static func toFloat(_ value: Value, default dflt: Value) throws(TemplateError) -> Value {
        switch value {
        case .float: return value
        case .int(let i): return .float(Double(i))
        case .bool(let b): return .float(b ? 1 : 0)
        case .string(let s), .markup(let s): return PyParse.float(s).map { .float($0) } ?? dflt
        case .undefined(let u): throw u.error
        default: return dflt
        }
    }

    private static func roundValue(_ value: Value, _ precision: Int, _ method: String, limit: Int) throws(TemplateError) -> Value {
        if method == "common" {
            switch value {
            case .int(let i):
                if precision >= 0 { return .int(i) }
                let p = Double(i)
                return .int(Int(CFormat.round(p, precision)))
            case .bool(let b): return .int(b ? 1 : 0)
            case .float(let d): return .float(CFormat.round(d, precision))
            default: throw .type("type \(value.typeName) doesn't define __round__ method")
            }
        }
        // math.ceil/floor(value * 10**precision) / 10**precision
        let scale: Value = try Ops.binary(.pow, .int(10), .int(precision), limit: limit)
        let scaled = try Ops.binary(.mul, value, scale, limit: limit)
        let r: Value
        switch scaled {
        case .int: r = scaled
        case .bool(let b): r = .int(b ? 1 : 0)
        case .float(let d):
            if !d.isFinite { throw .runtime(d.isNaN ? "cannot convert float NaN to integer" : "cannot convert float infinity to integer") }
            let x = method == "ceil" ? d.rounded(.up) : d.rounded(.down)
            guard let i = Int(exactly: x), Swift.abs(i) < (1 << 53) else {
                // Python divides the exact (big) integer; with an exactly representable
                // divisor IEEE division of the same values rounds identically.
                if case .int(let sc) = scale, Swift.abs(sc) < (1 << 53) { return .float(x / Double(sc)) }
                if case .float(let sc) = scale { return .float(x / sc) }
                throw Ops.overflow(method)
            }
            r = .int(i)
        default: throw .type("must be real number, not \(scaled.typeName)")
        }
        return try Ops.binary(.div, r, scale, limit: limit)
    }

    private static func fileSize(_ value: Value, binary: Bool) throws(TemplateError) -> String {
        guard case .float(let bytes) = try toFloat(value, default: .none) else {
            if value.stringValue != nil { throw .runtime("could not convert string to float") }
            throw .type("float() argument must be a string or a real number, not '\(value.typeName)'")
        }
        let base = binary ? 1024.0 : 1000.0
        let prefixes = binary ? ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"] : ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        if bytes == 1 { return "1 Byte" }
        if bytes < base {
            guard let i = Int(exactly: bytes.rounded(.towardZero)) else { return "\(PyRepr.float(bytes)) Bytes" }
            return "\(i) Bytes"
        }
        var unit = base
        var prefix = prefixes[0]
        for (i, p) in prefixes.enumerated() {
            unit = pow(base, Double(i + 2))
            prefix = p
            if bytes < unit { break }
        }
        return CFormat.double("%.1f", base * bytes / unit) + " " + prefix
    }
}

/// Python's `int(str, base)` and `float(str)` parsers (whitespace, signs, underscores).
enum PyParse {
    static func int(_ s: String, base: Int) -> Int? {
        var t = Array(PyStr.strip(s, chars: nil).unicodeScalars)
        guard !t.isEmpty else { return nil }
        var neg = false
        if t[0] == "+" || t[0] == "-" { neg = t[0] == "-"; t.removeFirst() }
        var b = base
        if t.count >= 2 && t[0] == "0" {
            let p = Character(t[1]).lowercased()
            let pb = p == "x" ? 16 : p == "o" ? 8 : p == "b" ? 2 : 0
            if pb != 0 && (base == pb || base == 0) { b = pb; t.removeFirst(2); if t.first == "_" { t.removeFirst() } }
        }
        if b == 0 {
            b = 10
            if t.count > 1 && t[0] == "0" && t.contains(where: { $0 != "0" && $0 != "_" }) { return nil }
        }
        guard !t.isEmpty, t.first != "_", t.last != "_" else { return nil }
        var digits = ""
        var prevUnderscore = false
        for c in t {
            if c == "_" {
                if prevUnderscore { return nil }
                prevUnderscore = true
                continue
            }
            prevUnderscore = false
            if !c.isASCII, let v = c.properties.numericType, v == .decimal, let n = Swift.Int(String(c.properties.numericValue.map { Swift.Int($0) } ?? -1)) {
                digits += String(n)
            } else {
                digits.unicodeScalars.append(c)
            }
        }
        guard let v = Swift.Int(digits, radix: b) else { return nil }
        return neg ? -v : v
    }

    static func float(_ s: String) -> Double? {
        let t = PyStr.strip(s, chars: nil)
        guard !t.isEmpty else { return nil }
        var body = Array(t.unicodeScalars)
        var neg = false
        if body[0] == "+" || body[0] == "-" { neg = body[0] == "-"; body.removeFirst() }
        let lower = PyStr.lower(PyStr.make(body))
        if lower == "inf" || lower == "infinity" { return neg ? -.infinity : .infinity }
        if lower == "nan" { return .nan }
        // digits with single underscores between digits, optional fraction and exponent
        var cleaned = ""
        var i = 0
        var sawDigit = false
        func digitsRun() -> Bool {
            var any = false
            while i < body.count {
                let c = body[i]
                if c.value >= 48 && c.value <= 57 {
                    cleaned.unicodeScalars.append(c); any = true; i += 1
                } else if c == "_" && any && i + 1 < body.count && body[i + 1].value >= 48 && body[i + 1].value <= 57 {
                    i += 1
                } else {
                    break
                }
            }
            return any
        }
        if digitsRun() { sawDigit = true }
        if i < body.count && body[i] == "." {
            cleaned += "."
            i += 1
            if digitsRun() { sawDigit = true }
        }
        guard sawDigit else { return nil }
        if i < body.count && (body[i] == "e" || body[i] == "E") {
            cleaned += "e"
            i += 1
            if i < body.count && (body[i] == "+" || body[i] == "-") { cleaned.unicodeScalars.append(body[i]); i += 1 }
            guard digitsRun() else { return nil }
        }
        guard i == body.count, let v = Double(cleaned) else { return nil }
        return neg ? -v : v
    }
}
