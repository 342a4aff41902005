/// Filters that make or undo markup for another language: HTML, URLs, JSON.
extension Filters {
    static func escape(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        if case .markup = value { return value }
        return .markup(Escape.html(try value.str()))
    }

    static func forceescape(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        return .markup(Escape.html(try value.str()))
    }

    static func safe(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        if case .markup = value { return value }
        return .markup(try value.str())
    }

    static func striptags(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        return .string(stripTags(try value.str()))
    }

    static func urlencode(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        return .string(try urlencoded(value))
    }

    static func tojson(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "indent")
        var indent: String? = nil
        if let i = a[0] {
            switch i {
            case .none: indent = nil
            case .int(let n): indent = String(repeating: " ", count: Swift.max(0, n))
            case .string(let s): indent = s
            default: throw .type("indent must be int or str")
            }
        }
        let json = try JSONEncoder.encode(value, indent: indent)
        return .markup(JSONEncoder.htmlSafe(json))
    }

    static func xmlattr(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs("xmlattr", args, kw, "autospace")
        let autospace = a[0] == nil ? true : try r.boolArg(a[0])
        guard case .dict(let d) = value else { throw .runtime("'\(value.typeName)' object has no attribute 'items'") }
        var parts: [String] = []
        for i in 0..<d.count {
            let v = d.values[i]
            if v.isNoneValue || v.isUndefined { continue }
            let key = try d.keys[i].str()
            for c in key.unicodeScalars where PyChar.isSpace(c) || c == "/" || c == ">" || c == "=" {
                throw .runtime("Invalid character in attribute name: \(PyRepr.string(key))")
            }
            let escapedValue: String
            if case .markup(let m) = v { escapedValue = m } else { escapedValue = Escape.html(try v.str()) }
            parts.append("\(Escape.html(key))=\"\(escapedValue)\"")
        }
        var rv = parts.joined(separator: " ")
        if autospace && !rv.isEmpty { rv = " " + rv }
        return .markup(rv)
    }

    private static func stripTags(_ input: String) -> String {
        var sc = Array(input.unicodeScalars)
        func find(_ needle: String, from: Int) -> Int {
            PyStr.find(sc, Array(needle.unicodeScalars), start: from)
        }
        while true {
            let start = find("<!--", from: 0)
            if start < 0 { break }
            let end = find("-->", from: start)
            if end < 0 { break }
            sc.removeSubrange(start..<(end + 3))
        }
        while true {
            let start = find("<", from: 0)
            if start < 0 { break }
            let end = find(">", from: start)
            if end < 0 { break }
            sc.removeSubrange(start...end)
        }
        let collapsed = PyStr.split(PyStr.make(sc), sep: nil).joined(separator: " ")
        return HTMLEntities.unescape(collapsed)
    }

    private static func urlencoded(_ value: Value) throws(TemplateError) -> String {
        func quote(_ v: Value, forQS: Bool) throws(TemplateError) -> String {
            let s = try v.str()
            var out = ""
            for b in s.utf8 {
                let safe = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) ||
                    b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") || b == UInt8(ascii: "~") ||
                    (!forQS && b == UInt8(ascii: "/"))
                if safe { out.unicodeScalars.append(Unicode.Scalar(b)) }
                else if forQS && b == 32 { out += "+" }
                else { out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true) }
            }
            return out
        }
        switch value {
        case .string, .markup, .int, .float, .bool, .none, .undefined, .namespace, .macro:
            return try quote(value, forQS: false)
        case .dict(let d):
            var parts: [String] = []
            for i in 0..<d.count { parts.append(try quote(d.keys[i], forQS: true) + "=" + (try quote(d.values[i], forQS: true))) }
            return parts.joined(separator: "&")
        default:
            var parts: [String] = []
            for item in try Ops.iterate(value) {
                let kv = try Ops.iterate(item)
                guard kv.count == 2 else { throw .runtime("too many values to unpack (expected 2)") }
                parts.append(try quote(kv[0], forQS: true) + "=" + (try quote(kv[1], forQS: true)))
            }
            return parts.joined(separator: "&")
        }
    }
}

/// The handful of HTML entities `Markup.unescape` is realistically fed.
enum HTMLEntities {
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{a0}", "copy": "©", "reg": "®",
    ]

    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        let sc = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < sc.count {
            if sc[i] == "&", let semi = sc[(i + 1)...].prefix(32).firstIndex(of: ";") {
                let name = PyStr.make(sc[(i + 1)..<semi])
                if name.hasPrefix("#") {
                    let num = name.dropFirst()
                    let v = num.hasPrefix("x") || num.hasPrefix("X") ? UInt32(num.dropFirst(), radix: 16) : UInt32(num)
                    if let v, let u = Unicode.Scalar(v) { out.append(u); i = semi + 1; continue }
                } else if let r = named[name] {
                    out.append(contentsOf: r.unicodeScalars)
                    i = semi + 1
                    continue
                }
            }
            out.append(sc[i])
            i += 1
        }
        return String(out)
    }
}
