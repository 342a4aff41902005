#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-exact reproductions of CPython's `repr()` for strings and floats.
enum PyRepr {
    /// CPython `unicode_repr`.
    static func string(_ s: String) -> String {
        var hasSingle = false, hasDouble = false
        for b in s.utf8 {
            if b == UInt8(ascii: "'") { hasSingle = true } else if b == UInt8(ascii: "\"") { hasDouble = true }
        }
        let quote: Unicode.Scalar = (hasSingle && !hasDouble) ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for c in s.unicodeScalars {
            let v = c.value
            if c == quote || c == "\\" {
                out.append("\\"); out.append(c)
            } else if c == "\t" {
                out.append(contentsOf: "\\t".unicodeScalars)
            } else if c == "\n" {
                out.append(contentsOf: "\\n".unicodeScalars)
            } else if c == "\r" {
                out.append(contentsOf: "\\r".unicodeScalars)
            } else if v < 0x20 || v == 0x7F {
                out.append(contentsOf: hexEscape(v, "x", 2).unicodeScalars)
            } else if v < 0x7F {
                out.append(c)
            } else if isPrintable(c) {
                out.append(c)
            } else if v <= 0xFF {
                out.append(contentsOf: hexEscape(v, "x", 2).unicodeScalars)
            } else if v <= 0xFFFF {
                out.append(contentsOf: hexEscape(v, "u", 4).unicodeScalars)
            } else {
                out.append(contentsOf: hexEscape(v, "U", 8).unicodeScalars)
            }
        }
        out.append(quote)
        return String(out)
    }

    static func hexEscape(_ v: UInt32, _ prefix: String, _ width: Int) -> String {
        var h = String(v, radix: 16)
        if h.count < width { h = String(repeating: "0", count: width - h.count) + h }
        return "\\" + prefix + h
    }

    /// Python `str.isprintable()` for one non-ASCII scalar.
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// Python `repr(float)`: shortest round-trip digits, scientific notation when the
    /// decimal exponent is < -4 or >= 16, at least two exponent digits.
    static func float(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description already yields the shortest round-trip digits; only the layout differs.
        let (negative, digits, decpt) = shortestDigits(d)
        var out = negative ? "-" : ""
        let nd = digits.count
        if decpt <= -4 || decpt > 16 {
            out.unicodeScalars.append(Unicode.Scalar(digits[0]))
            if nd > 1 {
                out += "."
                out += String(decoding: digits[1...], as: UTF8.self)
            }
            let e = decpt - 1
            out += e < 0 ? "e-" : "e+"
            let ae = abs(e)
            if ae < 10 { out += "0" }
            out += String(ae)
        } else if decpt <= 0 {
            out += "0."
            out += String(repeating: "0", count: -decpt)
            out += String(decoding: digits, as: UTF8.self)
        } else if decpt >= nd {
            out += String(decoding: digits, as: UTF8.self)
            out += String(repeating: "0", count: decpt - nd)
            out += ".0"
        } else {
            out += String(decoding: digits[0..<decpt], as: UTF8.self)
            out += "."
            out += String(decoding: digits[decpt...], as: UTF8.self)
        }
        return out
    }

    /// Decomposes a finite non-zero double into (sign, significant digits, decimal point position)
    /// such that value = 0.d1d2d3... * 10^decpt.
    static func shortestDigits(_ d: Double) -> (Bool, [UInt8], Int) {
        let desc = Swift.abs(d).description
        var digits: [UInt8] = []
        var pointPos: Int? = nil
        var exp = 0
        var iter = desc.utf8.makeIterator()
        var count = 0
        while let b = iter.next() {
            if b == UInt8(ascii: ".") { pointPos = count; continue }
            if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                var rest: [UInt8] = []
                while let c = iter.next() { rest.append(c) }
                exp = Int(String(decoding: rest, as: UTF8.self)) ?? 0
                break
            }
            digits.append(b)
            count += 1
        }
        var decpt = (pointPos ?? count) + exp
        // strip leading zeros
        var lead = 0
        while lead < digits.count - 1 && digits[lead] == UInt8(ascii: "0") { lead += 1; decpt -= 1 }
        if lead > 0 { digits.removeFirst(lead) }
        while digits.count > 1 && digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (d < 0, digits, decpt)
    }
}

/// C `snprintf` for a single double; used where Python's formatting is correctly rounded
/// (glibc's printf is exact, with round-half-even on ties just like CPython's dtoa).
enum CFormat {
    static func double(_ format: String, _ value: Double) -> String {
        var buf = [CChar](repeating: 0, count: 512)
        let n = withVaList([value]) { va in
            buf.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, 512, format, va) }
        }
        if n >= 512 {
            var big = [CChar](repeating: 0, count: Int(n) + 1)
            _ = withVaList([value]) { va in
                big.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, Int(n) + 1, format, va) }
            }
            return String(decoding: big.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return String(decoding: buf.prefix(Int(max(0, n))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Python `round(x, ndigits)` for floats.
    static func round(_ x: Double, _ ndigits: Int) -> Double {
        if !x.isFinite || x == 0 { return x }
        if ndigits > 323 { return x }
        if ndigits >= 0 {
            return Double(double("%.\(ndigits)f", x)) ?? x
        }
        if ndigits < -308 { return 0.0 * x }
        // Negative precision: round the exact decimal expansion half-to-even.
        let ax = Swift.abs(x)
        let whole = ax.rounded(.towardZero)
        let frac = ax - whole  // exact
        let k = -ndigits
        var digits = Array(double("%.0f", whole).utf8)
        if digits.count < k + 1 { digits = Array(repeating: UInt8(ascii: "0"), count: k + 1 - digits.count) + digits }
        let keep = digits.count - k
        let tail = digits[keep...]
        var roundUp: Bool
        if tail.first! > UInt8(ascii: "5") {
            roundUp = true
        } else if tail.first! < UInt8(ascii: "5") {
            roundUp = false
        } else if tail.dropFirst().contains(where: { $0 != UInt8(ascii: "0") }) || frac > 0 {
            roundUp = true
        } else {
            roundUp = (digits[keep - 1] - UInt8(ascii: "0")) % 2 == 1
        }
        var kept = Array(digits[0..<keep])
        if roundUp {
            var i = kept.count - 1
            while i >= 0 {
                if kept[i] == UInt8(ascii: "9") { kept[i] = UInt8(ascii: "0"); i -= 1 } else { kept[i] += 1; break }
            }
            if i < 0 { kept.insert(UInt8(ascii: "1"), at: 0) }
        }
        let r = Double(String(decoding: kept, as: UTF8.self) + "e\(k)") ?? 0
        return x < 0 ? -r : r
    }

    static func pow10(_ k: Int) -> Double { Double("1e\(k)") ?? .infinity }
}

extension Value {
    /// Python `str(value)`; raises for StrictUndefined.
    func str() throws(TemplateError) -> String {
        switch self {
        case .string(let s), .markup(let s): return s
        case .int(let i): return String(i)
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .float(let d): return PyRepr.float(d)
        case .undefined(let u):
            if u.strict { throw u.error }
            return ""
        default:
            var seen = Set<ObjectIdentifier>()
            return repr(&seen)
        }
    }

    /// Python `repr(value)`.
    func repr() -> String {
        var seen = Set<ObjectIdentifier>()
        return repr(&seen)
    }

    func repr(_ seen: inout Set<ObjectIdentifier>) -> String {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return PyRepr.float(d)
        case .string(let s): return PyRepr.string(s)
        case .markup(let s): return "Markup(\(PyRepr.string(s)))"
        case .list(let l):
            let id = ObjectIdentifier(l)
            if seen.contains(id) { return "[...]" }
            seen.insert(id)
            defer { seen.remove(id) }
            return "[" + l.items.map { $0.repr(&seen) }.joined(separator: ", ") + "]"
        case .tuple(let t):
            if t.count == 1 { return "(" + t[0].repr(&seen) + ",)" }
            return "(" + t.map { $0.repr(&seen) }.joined(separator: ", ") + ")"
        case .dict(let d):
            let id = ObjectIdentifier(d)
            if seen.contains(id) { return "{...}" }
            seen.insert(id)
            defer { seen.remove(id) }
            var parts: [String] = []
            parts.reserveCapacity(d.count)
            for i in 0..<d.count { parts.append(d.keys[i].repr(&seen) + ": " + d.values[i].repr(&seen)) }
            return "{" + parts.joined(separator: ", ") + "}"
        case .undefined: return "Undefined"
        case .namespace(let n): return "<Namespace " + Value.dict(n.attrs).repr(&seen) + ">"
        case .macro(let m): return "<Macro \(PyRepr.string(m.name))>"
        case .loop(let l): return "<LoopContext \(l.index0 + 1)/\(l.length)>"
        case .iterator(let it):
            switch it.kind {
            case .dictKeys, .dictValues, .dictItems:
                let items = it.take()
                return it.kind.typeName + "([" + items.map { $0.repr(&seen) }.joined(separator: ", ") + "])"
            default:
                return "<\(it.kind.typeName) object>"
            }
        case .range(let r):
            return r.step == 1 ? "range(\(r.start), \(r.stop))" : "range(\(r.start), \(r.stop), \(r.step))"
        case .builtin(let b):
            switch b {
            case .range: return "<class 'range'>"
            case .dict: return "<class 'dict'>"
            case .namespace: return "<class 'jinja2.utils.Namespace'>"
            case .cycler: return "<class 'jinja2.utils.Cycler'>"
            case .joiner: return "<class 'jinja2.utils.Joiner'>"
            case .lipsum: return "<function generate_lorem_ipsum>"
            }
        case .method(let m): return "<built-in method \(m.name) of \(m.receiver.typeName) object>"
        case .cycler: return "<jinja2.utils.Cycler object>"
        case .joiner: return "<jinja2.utils.Joiner object>"
        }
    }
}
