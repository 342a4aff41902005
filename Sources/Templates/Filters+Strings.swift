/// Filters that change text: case, whitespace, replacement, layout, `%` formatting.
extension Filters {
    static func upper(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        return .string(PyStr.upper(try r.softStr(value)))
    }

    static func lower(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        return .string(PyStr.lower(try r.softStr(value)))
    }

    static func capitalize(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        return .string(PyStr.capitalize(try r.softStr(value)))
    }

    static func title(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        return .string(jinjaTitle(try r.softStr(value)))
    }

    static func trim(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        // `| trim` without arguments is common in chat templates: it needs no binding.
        if args.isEmpty && kw.isEmpty { return .string(PyStr.strip(try r.softStr(value), chars: nil)) }
        let a = try bindArgs(name, args, kw, "chars")
        return .string(PyStr.strip(try r.softStr(value), chars: try r.strArg(a[0], "strip")))
    }

    static func string(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        if case .markup = value { return value }
        return .string(try value.str())
    }

    static func replace(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "old,new,count", required: 2)
        let count = try r.intArg(a[2], "replace", default: -1)
        let (s, old, new) = (try value.str(), try a[0]!.str(), try a[1]!.str())
        try r.checkSize(r.replacedSize(s, old, new, count: count))
        return .string(PyStr.replace(s, old, new, count: count))
    }

    static func center(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "width")
        let width = try r.intArg(a[0], "center", default: 80)
        try r.checkSize(width)
        return .string(PyStr.center(try r.softStr(value), width))
    }

    static func indent(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs("indent", args, kw, "width,first,blank")
        var indention = "    "
        if let w = a[0] {
            if let s = w.stringValue { indention = s }
            else if let n = Ops.asIndex(w) {
                try r.checkSize(n)
                indention = String(repeating: " ", count: Swift.max(0, n))
            }
            else { throw .type("can't multiply sequence by non-int of type '\(w.typeName)'") }
        }
        let first = try r.boolArg(a[1])
        let blank = try r.boolArg(a[2])
        guard var s = value.stringValue else {
            if case .undefined(let u) = value { throw u.error }
            // `list += str` works in Python; the following `.splitlines()` then fails.
            if case .list = value { throw .runtime("'list' object has no attribute 'splitlines'") }
            throw .type("unsupported operand type(s) for +=: '\(value.typeName)' and 'str'")
        }
        s += "\n"
        let lines = PyStr.splitlines(s)
        var rv: String
        if blank {
            rv = lines.joined(separator: "\n" + indention)
        } else {
            rv = lines.first ?? ""
            if lines.count > 1 {
                rv += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : indention + $0 }.joined(separator: "\n")
            }
        }
        if first { rv = indention + rv }
        if case .markup = value { return .markup(rv) }
        return .string(rv)
    }

    static func truncate(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs("truncate", args, kw, "length,killwords,end,leeway")
        let length = try r.intArg(a[0], "truncate", default: 255)
        let killwords = try r.boolArg(a[1])
        let end = try a[2].map { v throws(TemplateError) in try v.str() } ?? "..."
        let leeway = try a[3].map { v throws(TemplateError) in try r.intArg(v, "truncate", default: 5) } ?? 5
        let endLen = PyStr.len(end)
        if length < endLen { throw .runtime("expected length >= \(endLen), got \(length)") }
        if leeway < 0 { throw .runtime("expected leeway >= 0, got \(leeway)") }
        let n = try Ops.length(value)
        if n <= length + leeway { return value }
        guard let s = value.stringValue else {
            throw .type("'\(value.typeName)' object is not subscriptable")
        }
        let sc = Array(s.unicodeScalars)
        let cut = PyStr.make(sc.prefix(Swift.max(0, length - endLen)))
        if killwords { return .string(cut + end) }
        let parts = PyStr.rsplit(cut, sep: " ", maxsplit: 1)
        return .string((parts.first ?? "") + end)
    }

    static func wordcount(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        var count = 0
        var inWord = false
        for c in try r.softStr(value).unicodeScalars {
            if PyChar.isWord(c) {
                if !inWord { count += 1; inWord = true }
            } else {
                inWord = false
            }
        }
        return .int(count)
    }

    static func format(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        if !args.isEmpty && !kw.isEmpty {
            throw .runtime("can't handle positional and keyword arguments at the same time")
        }
        let fmtArgs: Value
        if !kw.isEmpty {
            let d = DictRef()
            for a in kw { d.set(.string(a.name), a.value) }
            fmtArgs = .dict(d)
        } else {
            fmtArgs = .tuple(args)
        }
        let s = try r.softStr(value)
        let result = try PyFormat.percent(s, fmtArgs)
        if case .markup = value { return .markup(result) }
        return .string(result)
    }

    /// Jinja2 `do_title`: split on `([-\s({\[<]+)` and capitalize each piece.
    private static func jinjaTitle(_ s: String) -> String {
        func isSep(_ c: Unicode.Scalar) -> Bool {
            c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || PyChar.isSpace(c)
        }
        var out = ""
        var piece = String.UnicodeScalarView()
        var pieceIsSep: Bool? = nil
        func flush() {
            guard let f = piece.first else { return }
            out += PyStr.upperScalar(f)
            var rest = String.UnicodeScalarView()
            rest.append(contentsOf: piece.dropFirst())
            out += PyStr.lower(String(rest))
            piece = String.UnicodeScalarView()
        }
        for c in s.unicodeScalars {
            let sep = isSep(c)
            if pieceIsSep != nil && pieceIsSep != sep { flush() }
            pieceIsSep = sep
            piece.append(c)
        }
        flush()
        return out
    }
}
