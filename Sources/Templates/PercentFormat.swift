/// Python's printf-style `str % args` (used by the `%` operator and the `format` filter).
enum PyFormat {
    static func percent(_ fmt: String, _ args: Value) throws(TemplateError) -> String {
        var argList: [Value]
        var mapping: Value? = nil
        switch args {
        case .tuple(let t): argList = t
        case .dict, .list, .range, .undefined:
            // Anything with __getitem__ counts as a mapping for CPython's `%`.
            argList = [args]
            mapping = args
        default: argList = [args]
        }
        let f = Array(fmt.unicodeScalars)
        var out = String.UnicodeScalarView()
        var argIdx = 0
        var i = 0
        func nextArg() throws(TemplateError) -> Value {
            guard argIdx < argList.count else { throw .type("not enough arguments for format string") }
            defer { argIdx += 1 }
            return argList[argIdx]
        }
        var usedMapping = false
        while i < f.count {
            let c = f[i]
            if c != "%" { out.append(c); i += 1; continue }
            i += 1
            guard i < f.count else { throw .runtime("incomplete format") }
            var keyed: Value? = nil
            if f[i] == "(" {
                guard let m = mapping else { throw .type("format requires a mapping") }
                var depth = 1
                var j = i + 1
                while j < f.count && depth > 0 {
                    if f[j] == "(" { depth += 1 } else if f[j] == ")" { depth -= 1 }
                    j += 1
                }
                if depth > 0 { throw .runtime("incomplete format key") }
                let key = PyStr.make(f[(i + 1)..<(j - 1)])
                if case .undefined(let u) = m { throw u.error }
                guard case .dict(let d) = m else {
                    throw .type("\(m.typeName) indices must be integers or slices, not str")
                }
                guard let v = d.get(string: key) else { throw .runtime("KeyError: \(PyRepr.string(key))") }
                keyed = v
                usedMapping = true
                i = j
            }
            var left = false, sign = false, blank = false, alt = false, zero = false
            flags: while i < f.count {
                switch f[i] {
                case "-": left = true
                case "+": sign = true
                case " ": blank = true
                case "#": alt = true
                case "0": zero = true
                default: break flags
                }
                i += 1
            }
            var width = -1
            if i < f.count && f[i] == "*" {
                guard let w = Ops.asIndex(try nextArg()) else { throw .type("* wants int") }
                guard abs(w) <= FormatField.maxValue else { throw FormatField.tooBig }
                width = w
                if w < 0 { left = true; width = -w }
                i += 1
            } else {
                var w = 0, any = false
                while i < f.count, let d = digit(f[i]) { w = try FormatField.append(d, to: w); any = true; i += 1 }
                if any { width = w }
            }
            var prec = -1
            if i < f.count && f[i] == "." {
                i += 1
                if i < f.count && f[i] == "*" {
                    guard let p = Ops.asIndex(try nextArg()) else { throw .type("* wants int") }
                    guard p <= FormatField.maxValue else { throw FormatField.tooBig }
                    prec = max(0, p)
                    i += 1
                } else {
                    var p = 0
                    while i < f.count, let d = digit(f[i]) { p = try FormatField.append(d, to: p); i += 1 }
                    prec = p
                }
            }
            while i < f.count && (f[i] == "h" || f[i] == "l" || f[i] == "L") { i += 1 }
            guard i < f.count else { throw .runtime("incomplete format") }
            let conv = f[i]
            i += 1
            if conv == "%" { out.append("%"); continue }
            let arg: Value
            if let keyed { arg = keyed } else { arg = try nextArg() }
            var body: String
            var signStr = ""
            var prefix = ""
            var numeric = false
            switch conv {
            case "s", "r", "a":
                body = conv == "s" ? try arg.str() : conv == "r" ? arg.repr() : ascii(arg.repr())
                if prec >= 0 { body = PyStr.make(body.unicodeScalars.prefix(prec)) }
            case "d", "i", "u", "x", "X", "o":
                var iv: Int
                switch arg {
                case .int(let v): iv = v
                case .bool(let b): iv = b ? 1 : 0
                case .float(let d):
                    if conv == "x" || conv == "X" || conv == "o" {
                        throw .type("%\(conv) format: an integer is required, not float")
                    }
                    if d.isNaN { throw .runtime("cannot convert float NaN to integer") }
                    guard let t = Int(exactly: d.rounded(.towardZero)) else { throw .runtime("cannot convert float infinity to integer") }
                    iv = t
                case .undefined(let u) where !(conv == "x" || conv == "X" || conv == "o"):
                    throw u.error  // int(Undefined) raises; %x/%o use __index__, a TypeError
                default:
                    if conv == "x" || conv == "X" || conv == "o" {
                        throw .type("%\(conv) format: an integer is required, not \(arg.typeName)")
                    }
                    throw .type("%\(conv) format: a real number is required, not \(arg.typeName)")
                }
                numeric = true
                let neg = iv < 0
                let mag = iv.magnitude
                switch conv {
                case "x": body = String(mag, radix: 16); if alt { prefix = "0x" }
                case "X": body = String(mag, radix: 16).uppercased(); if alt { prefix = "0X" }
                case "o": body = String(mag, radix: 8); if alt { prefix = "0o" }
                default: body = String(mag)
                }
                if prec > body.count { body = String(repeating: "0", count: prec - body.count) + body }
                signStr = neg ? "-" : sign ? "+" : blank ? " " : ""
            case "e", "E", "f", "F", "g", "G":
                let d: Double
                switch arg {
                case .int(let v): d = Double(v)
                case .bool(let b): d = b ? 1 : 0
                case .float(let v): d = v
                case .undefined(let u): throw u.error
                default: throw .type("must be real number, not \(arg.typeName)")
                }
                numeric = true
                signStr = d.sign == .minus && !d.isNaN ? "-" : sign ? "+" : blank ? " " : ""
                let upper = conv == "E" || conv == "F" || conv == "G"
                if d.isNaN || d.isInfinite {
                    body = d.isNaN ? "nan" : "inf"
                    if upper { body = body.uppercased() }
                    zero = false
                } else {
                    var cf = "%"
                    if alt { cf += "#" }
                    cf += ".\(prec < 0 ? 6 : prec)"
                    cf.unicodeScalars.append(conv)
                    body = CFormat.double(cf, Swift.abs(d))
                }
            case "c":
                switch arg {
                case .int(let v):
                    guard let sc = Unicode.Scalar(UInt32(truncatingIfNeeded: v)), v >= 0 else { throw .runtime("%c arg not in range(0x110000)") }
                    body = String(sc)
                case .string(let s) where PyStr.len(s) == 1: body = s
                default: throw .type("%c requires an int or a unicode character, not \(arg.typeName)")
                }
            default:
                throw .runtime("unsupported format character '\(conv)' (0x\(String(conv.value, radix: 16))) at index \(i - 1)")
            }
            let contentLen = signStr.count + prefix.count + PyStr.len(body)
            if width > contentLen {
                let pad = width - contentLen
                if left {
                    out.append(contentsOf: (signStr + prefix + body + String(repeating: " ", count: pad)).unicodeScalars)
                } else if zero && numeric {
                    out.append(contentsOf: (signStr + prefix + String(repeating: "0", count: pad) + body).unicodeScalars)
                } else {
                    out.append(contentsOf: (String(repeating: " ", count: pad) + signStr + prefix + body).unicodeScalars)
                }
            } else {
                out.append(contentsOf: (signStr + prefix + body).unicodeScalars)
            }
        }
        if argIdx < argList.count && mapping == nil && !usedMapping {
            throw .type("not all arguments converted during string formatting")
        }
        return String(out)
    }

    private static func digit(_ c: Unicode.Scalar) -> Int? {
        c.value >= 48 && c.value <= 57 ? Int(c.value - 48) : nil
    }

    /// Python `ascii()`: repr with non-ASCII escaped.
    static func ascii(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if c.isASCII { out.unicodeScalars.append(c); continue }
            let v = c.value
            out += v <= 0xFF ? PyRepr.hexEscape(v, "x", 2) : v <= 0xFFFF ? PyRepr.hexEscape(v, "u", 4) : PyRepr.hexEscape(v, "U", 8)
        }
        return out
    }
}

/// Python `str.format` with the format-spec mini language for str, int and float.
enum PyStrFormat {
    static func format(_ fmt: String, _ args: [Value], _ kwargs: [KwArg], _ r: Renderer) throws(TemplateError) -> String {
        let f = Array(fmt.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var autoIndex = 0
        while i < f.count {
            let c = f[i]
            if c == "{" {
                if i + 1 < f.count && f[i + 1] == "{" { out.append("{"); i += 2; continue }
                var j = i + 1
                var depth = 1
                while j < f.count {
                    if f[j] == "{" { depth += 1 } else if f[j] == "}" { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                guard j < f.count else { throw .runtime("Single '{' encountered in format string") }
                let field = Array(f[(i + 1)..<j])
                i = j + 1
                var nameEnd = field.count
                var conv: Unicode.Scalar? = nil
                var spec = ""
                if let colon = field.firstIndex(of: ":") {
                    nameEnd = colon
                    spec = PyStr.make(field[(colon + 1)...])
                }
                if let bang = field[0..<nameEnd].firstIndex(of: "!") {
                    guard bang + 1 < nameEnd else { throw .runtime("end of string while looking for conversion specifier") }
                    conv = field[bang + 1]
                    nameEnd = bang
                }
                let fieldName = PyStr.make(field[0..<nameEnd])
                // first part: index or name, then .attr / [key] chain
                var k = fieldName.unicodeScalars.startIndex
                let fs = fieldName.unicodeScalars
                var head = ""
                while k < fs.endIndex && fs[k] != "." && fs[k] != "[" { head.unicodeScalars.append(fs[k]); k = fs.index(after: k) }
                var value: Value
                if head.isEmpty {
                    guard autoIndex < args.count else { throw .runtime("Replacement index \(autoIndex) out of range for positional args tuple") }
                    value = args[autoIndex]
                    autoIndex += 1
                } else if let idx = Int(head) {
                    guard idx < args.count else { throw .runtime("Replacement index \(idx) out of range for positional args tuple") }
                    value = args[idx]
                } else {
                    guard let kv = kwargs.first(where: { $0.name == head }) else { throw .runtime("KeyError: \(PyRepr.string(head))") }
                    value = kv.value
                }
                while k < fs.endIndex {
                    if fs[k] == "." {
                        k = fs.index(after: k)
                        var attr = ""
                        while k < fs.endIndex && fs[k] != "." && fs[k] != "[" { attr.unicodeScalars.append(fs[k]); k = fs.index(after: k) }
                        value = try r.getattr(value, attr)
                    } else {
                        k = fs.index(after: k)
                        var key = ""
                        while k < fs.endIndex && fs[k] != "]" { key.unicodeScalars.append(fs[k]); k = fs.index(after: k) }
                        if k < fs.endIndex { k = fs.index(after: k) }
                        value = try r.getitem(value, Int(key).map { .int($0) } ?? .string(key))
                    }
                }
                switch conv {
                case "r": value = .string(value.repr())
                case "s": value = .string(try value.str())
                case "a": value = .string(PyFormat.ascii(value.repr()))
                case nil: break
                default: throw .runtime("Unknown conversion specifier \(conv!)")
                }
                out.append(contentsOf: try formatValue(value, spec).unicodeScalars)
            } else if c == "}" {
                if i + 1 < f.count && f[i + 1] == "}" { out.append("}"); i += 2; continue }
                throw .runtime("Single '}' encountered in format string")
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(out)
    }

    /// Python's builtin `format(value, spec)`.
    static func formatValue(_ value: Value, _ spec: String) throws(TemplateError) -> String {
        if spec.isEmpty { return try value.str() }
        var s = Array(spec.unicodeScalars)
        var fill: Unicode.Scalar = " "
        var align: Unicode.Scalar? = nil
        func isAlign(_ c: Unicode.Scalar) -> Bool { c == "<" || c == ">" || c == "^" || c == "=" }
        if s.count >= 2 && isAlign(s[1]) { fill = s[0]; align = s[1]; s.removeFirst(2) }
        else if let f = s.first, isAlign(f) { align = f; s.removeFirst() }
        var sign: Unicode.Scalar = "-"
        if let f = s.first, f == "+" || f == "-" || f == " " { sign = f; s.removeFirst() }
        var alt = false
        if s.first == "#" { alt = true; s.removeFirst() }
        if s.first == "0" {
            if align == nil { fill = "0"; align = "=" }
            s.removeFirst()
        }
        var width = 0
        while let f = s.first, f.value >= 48 && f.value <= 57 { width = try FormatField.append(Int(f.value - 48), to: width); s.removeFirst() }
        var grouping: Unicode.Scalar? = nil
        if let f = s.first, f == "," || f == "_" { grouping = f; s.removeFirst() }
        var precision: Int? = nil
        if s.first == "." {
            s.removeFirst()
            var p = 0
            while let f = s.first, f.value >= 48 && f.value <= 57 { p = try FormatField.append(Int(f.value - 48), to: p); s.removeFirst() }
            precision = p
        }
        let type: Unicode.Scalar? = s.first
        if s.count > 1 { throw .runtime("Invalid format specifier") }

        var body: String
        var signStr = ""
        var prefix = ""
        var numeric = true
        switch value {
        case .string(let str), .markup(let str):
            if let type, type != "s" { throw .runtime("Unknown format code '\(type)' for object of type 'str'") }
            numeric = false
            body = str
            if let p = precision { body = PyStr.make(body.unicodeScalars.prefix(p)) }
        case .int, .bool, .float:
            var d: Double? = nil
            var iv: Int? = nil
            switch value {
            case .int(let x): iv = x
            case .bool(let b): iv = b ? 1 : 0
            case .float(let x): d = x
            default: break
            }
            let t = type ?? (iv != nil ? "d" : "r")
            if let v = iv, "bcdoxXn".unicodeScalars.contains(t) {
                signStr = v < 0 ? "-" : sign == "+" ? "+" : sign == " " ? " " : ""
                let m = v.magnitude
                switch t {
                case "b": body = String(m, radix: 2); if alt { prefix = "0b" }
                case "o": body = String(m, radix: 8); if alt { prefix = "0o" }
                case "x": body = String(m, radix: 16); if alt { prefix = "0x" }
                case "X": body = String(m, radix: 16).uppercased(); if alt { prefix = "0X" }
                case "c":
                    body = Unicode.Scalar(UInt32(truncatingIfNeeded: v)).map { String($0) } ?? ""
                default: body = String(m)
                }
                if let g = grouping, t == "d" || t == "n" { body = group(body, String(g)) }
            } else {
                let x = d ?? Double(iv!)
                guard "eEfFgG%r".unicodeScalars.contains(t) else {
                    throw .runtime("Unknown format code '\(t)' for object of type '\(value.typeName)'")
                }
                signStr = x.sign == .minus && !x.isNaN ? "-" : sign == "+" ? "+" : sign == " " ? " " : ""
                let ax = Swift.abs(x)
                if !ax.isFinite {
                    body = ax.isNaN ? "nan" : "inf"
                    if t == "E" || t == "F" || t == "G" { body = body.uppercased() }
                    if t == "%" { body += "%" }
                } else if t == "r" {
                    if let p = precision {
                        body = CFormat.double("%\(alt ? "#" : "").\(max(p, 1))g", ax)
                        if !body.contains(".") && !body.contains("e") && !body.contains("inf") { body += ".0" }
                    } else {
                        body = PyRepr.float(ax)
                    }
                } else if t == "%" {
                    body = CFormat.double("%\(alt ? "#" : "").\(precision ?? 6)f", ax * 100) + "%"
                } else {
                    body = CFormat.double("%\(alt ? "#" : "").\(precision ?? 6)\(t)", ax)
                }
                if let g = grouping, t == "f" || t == "F" || t == "r" || t == "%" {
                    let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                    body = group(String(parts[0]), String(g)) + (parts.count > 1 ? "." + parts[1] : "")
                }
            }
        default:
            throw .type("unsupported format string passed to \(value.typeName).__format__")
        }
        let content = signStr + prefix + body
        let len = PyStr.len(content)
        if width <= len { return content }
        let pad = width - len
        let fillStr = { (n: Int) in String(repeating: String(fill), count: n) }
        switch align ?? (numeric ? ">" : "<") {
        case "<": return content + fillStr(pad)
        case "^": return fillStr(pad / 2) + content + fillStr(pad - pad / 2)
        case "=": return signStr + prefix + fillStr(pad) + body
        default: return fillStr(pad) + content
        }
    }

    private static func group(_ digits: String, _ sep: String) -> String {
        let d = Array(digits)
        var out = ""
        for (i, c) in d.enumerated() {
            if i > 0 && (d.count - i) % 3 == 0 { out += sep }
            out.append(c)
        }
        return out
    }
}

/// A format's width or precision, read digit by digit: past a million it is refused (Python's
/// "width too big" comes later, at sizes no template needs; reading on would overflow `Int`,
/// which crashed the process until FuzzTemplates found it).
enum FormatField {
    static let maxValue = 1_000_000
    static let tooBig = TemplateError(kind: .limit, message: "format width or precision too big (over \(maxValue))")

    static func append(_ digit: Int, to value: Int) throws(TemplateError) -> Int {
        let next = value * 10 + digit
        guard next <= maxValue else { throw tooBig }
        return next
    }
}
