/// A builtin filter. `name` is the name the template used (`d`, `count`, …), which
/// argument errors quote.
typealias FilterFunction = @Sendable (
    _ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]
) throws(TemplateError) -> Value

/// Jinja2's builtin filters (jinja2/filters.py, 3.1.6), reproduced including their
/// argument names, defaults and edge-case behaviour; each lives in the Filters+*.swift
/// file of its kind.
enum Filters {
    /// Looked up when a template is parsed (`FilterCall.function`), so a render never
    /// searches it; `map` and the `filter` test look names up here too.
    static let table: [String: FilterFunction] = [
        // Filters+Strings.swift
        "upper": upper, "lower": lower, "capitalize": capitalize, "title": title, "trim": trim,
        "string": string, "replace": replace, "center": center, "indent": indent,
        "truncate": truncate, "wordcount": wordcount, "format": format,
        // Filters+Escaping.swift
        "escape": escape, "e": escape, "forceescape": forceescape, "safe": safe,
        "striptags": striptags, "urlencode": urlencode, "tojson": tojson, "xmlattr": xmlattr,
        // Filters+Numbers.swift
        "int": int, "float": float, "abs": abs, "round": round, "filesizeformat": filesizeformat,
        // Filters+Sequences.swift
        "length": length, "count": length, "list": list, "first": first, "last": last,
        "join": join, "sum": sum, "sort": sort, "unique": unique, "min": min, "max": max,
        "reverse": reverse, "items": items, "dictsort": dictsort, "batch": batch, "slice": slice,
        "groupby": groupby, "map": map, "select": select, "reject": reject,
        "selectattr": selectattr, "rejectattr": rejectattr,
        // Filters+Values.swift
        "default": `default`, "d": `default`, "attr": attr,
    ]

    /// For filters without parameters: rejects arguments as `bindArgs` does, but builds no
    /// `BoundArgs` for the usual call, which has none.
    static func noArguments(_ name: String, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) {
        if !args.isEmpty || !kw.isEmpty { _ = try bindArgs(name, args, kw, "") }
    }
}

extension Renderer {
    func applyFilter(_ fc: FilterCall, _ value: Value, _ scope: Scope) throws(TemplateError) -> Value {
        guard let function = fc.function else { throw .runtime("No filter named '\(fc.name)' found.") }
        // Most filters in chat templates (`trim`, `length`) have no arguments to evaluate.
        if fc.args.args.isEmpty && fc.args.isSimple { return try checkSize(try function(self, fc.name, value, [], [])) }
        let (args, kw) = try evalArgs(fc.args, scope)
        return try checkSize(try function(self, fc.name, value, args, kw))
    }

    /// `make_attrgetter`: dotted path of item/attribute lookups, digits become int indexes.
    func attrPath(_ attribute: Value?) -> [Value] {
        guard let attribute else { return [] }
        if case .none = attribute { return [] }
        if let s = attribute.stringValue {
            return PyStr.split(s, sep: ".").map { part in
                if !part.isEmpty, part.unicodeScalars.allSatisfy({ $0.value >= 48 && $0.value <= 57 }), let i = Int(part) {
                    return .int(i)
                }
                return .string(part)
            }
        }
        return [attribute]
    }

    func lookupPath(_ item: Value, _ parts: [Value], lower: Bool, default dflt: Value? = nil) throws(TemplateError) -> Value {
        var v = item
        for p in parts {
            v = try getitem(v, p)
            if let dflt, v.isUndefined { v = dflt }
        }
        if lower, case .string(let s) = v { return .string(PyStr.lower(s)) }
        if lower, case .markup(let s) = v { return .markup(PyStr.lower(s)) }
        return v
    }

    /// `soft_str`: str() but keeps Markup.
    func softStr(_ v: Value) throws(TemplateError) -> String { try v.str() }

    func boolArg(_ v: Value?) throws(TemplateError) -> Bool {
        guard let v else { return false }
        return try Ops.truthy(v)
    }
}

extension Value {
    var isNoneValue: Bool {
        if case .none = self { return true }
        return false
    }
}

/// Stable merge sort driven by Python's `<`, as `sorted()` does.
enum Sorting {
    static func sorted(_ items: [Value], reverse: Bool, key: (Value) throws(TemplateError) -> Value) throws(TemplateError) -> [Value] {
        if items.count < 2 { return items }
        var keys: [Value] = []
        keys.reserveCapacity(items.count)
        for x in items { keys.append(try key(x)) }
        var idx = Array(items.indices)
        var tmp = idx
        func before(_ a: Int, _ b: Int) throws(TemplateError) -> Bool {
            reverse ? try Ops.less(keys[b], keys[a]) : try Ops.less(keys[a], keys[b])
        }
        var width = 1
        let n = idx.count
        while width < n {
            var lo = 0
            while lo < n {
                let mid = Swift.min(lo + width, n)
                let hi = Swift.min(lo + 2 * width, n)
                var i = lo, j = mid, k = lo
                while i < mid && j < hi {
                    // take from the right run only when strictly smaller: keeps stability
                    if try before(idx[j], idx[i]) { tmp[k] = idx[j]; j += 1 } else { tmp[k] = idx[i]; i += 1 }
                    k += 1
                }
                while i < mid { tmp[k] = idx[i]; i += 1; k += 1 }
                while j < hi { tmp[k] = idx[j]; j += 1; k += 1 }
                lo = hi
            }
            swap(&idx, &tmp)
            width *= 2
        }
        return idx.map { items[$0] }
    }
}
