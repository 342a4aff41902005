#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Jinja2's builtin filters (jinja2/filters.py, 3.1.6), reproduced including their
/// argument names, defaults and edge-case behaviour.
enum FilterID: String, Sendable {
    case abs, attr, batch, capitalize, center, count, d, `default`, dictsort, e, escape
    case filesizeformat, first, float, forceescape, format, groupby, indent, int, join, last, length
    case list, lower, items, map, min, max, reject, rejectattr, replace, reverse, round
    case safe, select, selectattr, slice, sort, string, striptags, sum, title, trim, truncate
    case unique, upper, urlencode, wordcount, tojson, xmlattr
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

extension Renderer {
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

    func applyFilter(_ fc: FilterCall, _ value: Value, _ scope: Scope) throws(TemplateError) -> Value {
        guard let id = fc.id else { throw .runtime("No filter named '\(fc.name)' found.") }
        if fc.args.args.isEmpty && fc.args.kwargs.isEmpty && fc.args.dynArgs == nil && fc.args.dynKwargs == nil {
            // Argument-less filters common in chat templates skip the generic binder.
            switch id {
            case .length, .count: return .int(try Ops.length(value))
            case .trim: return .string(PyStr.strip(try value.str(), chars: nil))
            case .upper: return .string(PyStr.upper(try value.str()))
            case .lower: return .string(PyStr.lower(try value.str()))
            default: break
            }
        }
        let (args, kw) = try evalArgs(fc.args, scope)
        return try filter(id, fc.name, value, args, kw)
    }

    func filter(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        // A small dispatcher: each filter lives in its own function, which keeps
        // the per-call cost low (one giant switch made every filter call slow).
        switch id {
        case .upper: return try filter_upper(id, name, value, args, kw)
        case .lower: return try filter_lower(id, name, value, args, kw)
        case .capitalize: return try filter_capitalize(id, name, value, args, kw)
        case .title: return try filter_title(id, name, value, args, kw)
        case .trim: return try filter_trim(id, name, value, args, kw)
        case .string: return try filter_string(id, name, value, args, kw)
        case .replace: return try filter_replace(id, name, value, args, kw)
        case .default, .d: return try filter_default(id, name, value, args, kw)
        case .length, .count: return try filter_length(id, name, value, args, kw)
        case .list: return try filter_list(id, name, value, args, kw)
        case .first: return try filter_first(id, name, value, args, kw)
        case .last: return try filter_last(id, name, value, args, kw)
        case .join: return try filter_join(id, name, value, args, kw)
        case .int: return try filter_int(id, name, value, args, kw)
        case .float: return try filter_float(id, name, value, args, kw)
        case .abs: return try filter_abs(id, name, value, args, kw)
        case .round: return try filter_round(id, name, value, args, kw)
        case .sum: return try filter_sum(id, name, value, args, kw)
        case .sort: return try filter_sort(id, name, value, args, kw)
        case .unique: return try filter_unique(id, name, value, args, kw)
        case .min, .max: return try filter_min(id, name, value, args, kw)
        case .reverse: return try filter_reverse(id, name, value, args, kw)
        case .map: return try filter_map(id, name, value, args, kw)
        case .select, .reject, .selectattr, .rejectattr: return try filter_select(id, name, value, args, kw)
        case .items: return try filter_items(id, name, value, args, kw)
        case .dictsort: return try filter_dictsort(id, name, value, args, kw)
        case .batch: return try filter_batch(id, name, value, args, kw)
        case .slice: return try filter_slice(id, name, value, args, kw)
        case .center: return try filter_center(id, name, value, args, kw)
        case .indent: return try filter_indent(id, name, value, args, kw)
        case .truncate: return try filter_truncate(id, name, value, args, kw)
        case .wordcount: return try filter_wordcount(id, name, value, args, kw)
        case .escape, .e: return try filter_escape(id, name, value, args, kw)
        case .forceescape: return try filter_forceescape(id, name, value, args, kw)
        case .safe: return try filter_safe(id, name, value, args, kw)
        case .striptags: return try filter_striptags(id, name, value, args, kw)
        case .format: return try filter_format(id, name, value, args, kw)
        case .tojson: return try filter_tojson(id, name, value, args, kw)
        case .attr: return try filter_attr(id, name, value, args, kw)
        case .filesizeformat: return try filter_filesizeformat(id, name, value, args, kw)
        case .urlencode: return try filter_urlencode(id, name, value, args, kw)
        case .groupby: return try filter_groupby(id, name, value, args, kw)
        case .xmlattr: return try filter_xmlattr(id, name, value, args, kw)
        }
    }

    @inline(never)
    private func filter_upper(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        return .string(PyStr.upper(try softStr(value)))
    }

    @inline(never)
    private func filter_lower(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        return .string(PyStr.lower(try softStr(value)))
    }

    @inline(never)
    private func filter_capitalize(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        return .string(PyStr.capitalize(try softStr(value)))
    }

    @inline(never)
    private func filter_title(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        return .string(jinjaTitle(try softStr(value)))
    }

    @inline(never)
    private func filter_trim(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "chars")
        return .string(PyStr.strip(try softStr(value), chars: try strArg(a[0], "strip")))
    }

    @inline(never)
    private func filter_string(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        if case .markup = value { return value }
        return .string(try value.str())
    }

    @inline(never)
    private func filter_replace(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "old,new,count", required: 2)
        let count = try intArg(a[2], "replace", default: -1)
        return .string(PyStr.replace(try value.str(), try a[0]!.str(), try a[1]!.str(), count: count))
    }

    @inline(never)
    private func filter_default(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "default_value,boolean")
        var useDefault = value.isUndefined
        if !useDefault, try boolArg(a[1]) { useDefault = !(try Ops.truthy(value)) }
        if useDefault {
            return a[0] ?? .string("")
        }
        return value
    }

    @inline(never)
    private func filter_length(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        return .int(try Ops.length(value))
    }

    @inline(never)
    private func filter_list(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        return .list(ListRef(try Ops.iterate(value)))
    }

    @inline(never)
    private func filter_first(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        if case .iterator(let it) = value, it.kind.singleUse { return it.take().first ?? undefined(hint: "No first item, sequence was empty.") }
        return try Ops.iterate(value).first ?? undefined(hint: "No first item, sequence was empty.")
    }

    @inline(never)
    private func filter_last(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        if case .iterator(let it) = value, it.kind == .generator {
            throw .type("'generator' object is not reversible")
        }
        if case .iterator(let it) = value, it.kind == .reversed {
            throw .type("'list_reverseiterator' object is not reversible")
        }
        return try Ops.iterate(value).last ?? undefined(hint: "No last item, sequence was empty.")
    }

    @inline(never)
    private func filter_join(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "d,attribute")
        let sep = try a[0].map { v throws(TemplateError) in try v.str() } ?? ""
        var items = try Ops.iterate(value)
        if a[1] != nil {
            let path = attrPath(a[1])
            for i in items.indices { items[i] = try lookupPath(items[i], path, lower: false) }
        }
        var out = ""
        for (i, x) in items.enumerated() {
            if i > 0 { out += sep }
            out += try x.str()
        }
        return .string(out)
    }

    @inline(never)
    private func filter_int(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "default,base")
        return try toInt(value, default: a[0] ?? .int(0), base: a[1] ?? .int(10))
    }

    @inline(never)
    private func filter_float(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "default")
        return try toFloat(value, default: a[0] ?? .float(0))
    }

    @inline(never)
    private func filter_abs(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        switch value {
        case .int(let i):
            if i == Int.min { throw Ops.overflow("abs") }
            return .int(Swift.abs(i))
        case .bool(let b): return .int(b ? 1 : 0)
        case .float(let d): return .float(Swift.abs(d))
        default: throw .type("bad operand type for abs(): '\(value.typeName)'")
        }
    }

    @inline(never)
    private func filter_round(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "precision,method")
        let precision = try intArg(a[0], "round", default: 0)
        let method = try a[1].map { v throws(TemplateError) in try v.str() } ?? "common"
        guard method == "common" || method == "ceil" || method == "floor" else {
            throw .runtime("method must be common, ceil or floor")
        }
        return try roundValue(value, precision, method)
    }

    @inline(never)
    private func filter_sum(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "attribute,start")
        var acc = a[1] ?? .int(0)
        if acc.stringValue != nil { throw .type("sum() can't sum strings [use ''.join(seq) instead]") }
        let path = attrPath(a[0])
        for x in try Ops.iterate(value) {
            acc = try Ops.add(acc, a[0] == nil ? x : try lookupPath(x, path, lower: false))
        }
        return acc
    }

    @inline(never)
    private func filter_sort(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "reverse,case_sensitive,attribute")
        let reverse = try boolArg(a[0])
        let lower = !(try boolArg(a[1]))
        // make_multi_attrgetter: "a,b" sorts by several attributes, and the key is always a
        // list, so equal (even undefined) keys compare via == without calling `<`.
        var paths: [[Value]] = [[]]
        if let attr = a[2], let s = attr.stringValue {
            paths = PyStr.split(s, sep: ",").map { attrPath(.string($0)) }
        } else if let attr = a[2], !attr.isNoneValue {
            paths = [attrPath(attr)]
        }
        let items = try Ops.iterate(value)
        return .list(ListRef(try Sorting.sorted(items, reverse: reverse) { x throws(TemplateError) in
            var key: [Value] = []
            for p in paths { key.append(try lookupPath(x, p, lower: lower)) }
            return .list(ListRef(key))
        }))
    }

    @inline(never)
    private func filter_unique(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "case_sensitive,attribute")
        let lower = !(try boolArg(a[0]))
        let path = attrPath(a[1])
        var seen: [Value] = []
        var out: [Value] = []
        for x in try Ops.iterate(value) {
            let k = try lookupPath(x, path, lower: lower)
            try Ops.checkHashable(k)
            var dup = false
            for s in seen where Ops.keyEquals(s, k) { dup = true; break }
            if !dup {
                seen.append(k)
                out.append(x)
            }
        }
        return .iterator(IteratorRef(.generator, out))
    }

    @inline(never)
    private func filter_min(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "case_sensitive,attribute")
        let lower = !(try boolArg(a[0]))
        let path = attrPath(a[1])
        let items = try Ops.iterate(value)
        guard var best = items.first else { return undefined(hint: "No aggregated item, sequence was empty.") }
        var bestKey = try lookupPath(best, path, lower: lower)
        for x in items.dropFirst() {
            let k = try lookupPath(x, path, lower: lower)
            let better = id == .min ? try Ops.less(k, bestKey) : try Ops.compare(.gt, k, bestKey)
            if better { best = x; bestKey = k }
        }
        return best
    }

    @inline(never)
    private func filter_reverse(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        switch value {
        case .string(let s): return .string(PyStr.make(s.unicodeScalars.reversed()))
        case .markup(let s): return .markup(PyStr.make(s.unicodeScalars.reversed()))
        case .list(let l): return .iterator(IteratorRef(.reversed, l.items.reversed()))
        case .tuple(let t): return .iterator(IteratorRef(.reversed, t.reversed()))
        case .dict(let d): return .iterator(IteratorRef(.reversed, d.keys.reversed()))
        case .range: return .iterator(IteratorRef(.reversed, try Ops.iterate(value).reversed()))
        case .iterator, .undefined: return .list(ListRef(try Ops.iterate(value).reversed()))
        default: throw .runtime("argument must be iterable")
        }
    }

    @inline(never)
    private func filter_map(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        return try mapFilter(value, args, kw)
    }

    @inline(never)
    private func filter_select(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        return try selectFilter(id, value, args, kw)
    }

    @inline(never)
    private func filter_items(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        if value.isUndefined { return .iterator(IteratorRef(.generator, [])) }
        guard case .dict(let d) = value else { throw .type("Can only get item pairs from a mapping.") }
        var out: [Value] = []
        for i in 0..<d.count { out.append(.tuple([d.keys[i], d.values[i]])) }
        return .iterator(IteratorRef(.generator, out))
    }

    @inline(never)
    private func filter_dictsort(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "case_sensitive,by,reverse")
        let lower = !(try boolArg(a[0]))
        let by = try a[1].map { v throws(TemplateError) in try v.str() } ?? "key"
        let pos: Int
        switch by {
        case "key": pos = 0
        case "value": pos = 1
        default: throw .runtime("You can only sort by either \"key\" or \"value\"")
        }
        let reverse = try boolArg(a[2])
        guard case .dict(let d) = value else {
            if case .undefined(let u) = value { throw u.error }
            throw .runtime("'\(value.typeName)' object has no attribute 'items'")
        }
        var pairs: [Value] = []
        for i in 0..<d.count { pairs.append(.tuple([d.keys[i], d.values[i]])) }
        return .list(ListRef(try Sorting.sorted(pairs, reverse: reverse) { x throws(TemplateError) in
            guard case .tuple(let t) = x else { return x }
            let k = t[pos]
            if lower, case .string(let s) = k { return .string(PyStr.lower(s)) }
            return k
        }))
    }

    @inline(never)
    private func filter_batch(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "linecount,fill_with", required: 1)
        let n = try intArg(a[0], "batch", default: 1)
        var out: [Value] = []
        var tmp: [Value] = []
        for x in try Ops.iterate(value) {
            if tmp.count == n {
                out.append(.list(ListRef(tmp)))
                tmp = []
            }
            tmp.append(x)
        }
        if !tmp.isEmpty {
            if let fill = a[1], !(fill.isNoneValue), tmp.count < n {
                tmp.append(contentsOf: Array(repeating: fill, count: n - tmp.count))
            }
            out.append(.list(ListRef(tmp)))
        }
        return .iterator(IteratorRef(.generator, out))
    }

    @inline(never)
    private func filter_slice(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "slices,fill_with", required: 1)
        let slices = try intArg(a[0], "slice", default: 1)
        let seq = try Ops.iterate(value)
        if slices == 0 { throw .runtime("integer division or modulo by zero") }
        let per = Ops.floorDiv(seq.count, slices)
        let extra = seq.count - per * slices
        var offset = 0
        var out: [Value] = []
        for n in 0..<Swift.max(0, slices) {
            let start = offset + n * per
            if n < extra { offset += 1 }
            let end = offset + (n + 1) * per
            let idx = PyStr.sliceIndices(count: seq.count, start: start, stop: end, step: 1)
            var tmp = idx.map { seq[$0] }
            if let fill = a[1], !(fill.isNoneValue), n >= extra { tmp.append(fill) }
            out.append(.list(ListRef(tmp)))
        }
        return .iterator(IteratorRef(.generator, out))
    }

    @inline(never)
    private func filter_center(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "width")
        return .string(PyStr.center(try softStr(value), try intArg(a[0], "center", default: 80)))
    }

    @inline(never)
    private func filter_indent(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        return try indentFilter(value, args, kw)
    }

    @inline(never)
    private func filter_truncate(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        return try truncateFilter(value, args, kw)
    }

    @inline(never)
    private func filter_wordcount(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        var count = 0
        var inWord = false
        for c in try softStr(value).unicodeScalars {
            if PyChar.isWord(c) {
                if !inWord { count += 1; inWord = true }
            } else {
                inWord = false
            }
        }
        return .int(count)
    }

    @inline(never)
    private func filter_escape(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        if case .markup = value { return value }
        return .markup(Escape.html(try value.str()))
    }

    @inline(never)
    private func filter_forceescape(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        return .markup(Escape.html(try value.str()))
    }

    @inline(never)
    private func filter_safe(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        if case .markup = value { return value }
        return .markup(try value.str())
    }

    @inline(never)
    private func filter_striptags(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        return .string(stripTags(try value.str()))
    }

    @inline(never)
    private func filter_format(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
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
        let s = try softStr(value)
        let r = try PyFormat.percent(s, fmtArgs)
        if case .markup = value { return .markup(r) }
        return .string(r)
    }

    @inline(never)
    private func filter_tojson(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
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

    @inline(never)
    private func filter_attr(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "name", required: 1)
        let attrName = try a[0]!.str()
        if case .undefined(let u) = value { throw u.error }
        if let v = pyGetattr(value, attrName) { return v }
        return .undefined(UndefinedInfo(name: attrName, owner: value.objectTypeRepr, strict: strict))
    }

    @inline(never)
    private func filter_filesizeformat(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "binary")
        return .string(try fileSize(value, binary: try boolArg(a[0])))
    }

    @inline(never)
    private func filter_urlencode(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        _ = try bindArgs(name, args, kw, "")
        return .string(try urlencode(value))
    }

    @inline(never)
    private func filter_groupby(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        return try groupby(value, args, kw)
    }

    @inline(never)
    private func filter_xmlattr(_ id: FilterID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        return try xmlattr(value, args, kw)
    }


    /// Jinja2 `do_title`: split on `([-\s({\[<]+)` and capitalize each piece.
    func jinjaTitle(_ s: String) -> String {
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

    func toInt(_ value: Value, default dflt: Value, base: Value) throws(TemplateError) -> Value {
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

    func toFloat(_ value: Value, default dflt: Value) throws(TemplateError) -> Value {
        switch value {
        case .float: return value
        case .int(let i): return .float(Double(i))
        case .bool(let b): return .float(b ? 1 : 0)
        case .string(let s), .markup(let s): return PyParse.float(s).map { .float($0) } ?? dflt
        case .undefined(let u): throw u.error
        default: return dflt
        }
    }

    func roundValue(_ value: Value, _ precision: Int, _ method: String) throws(TemplateError) -> Value {
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
        let scale: Value = try Ops.binary(.pow, .int(10), .int(precision), limit: maxOutput)
        let scaled = try Ops.binary(.mul, value, scale, limit: maxOutput)
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
        return try Ops.binary(.div, r, scale, limit: maxOutput)
    }

    func mapFilter(_ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        if !(try Ops.truthy(value)) { return .iterator(IteratorRef(.generator, [])) }
        let items = try Ops.iterate(value)
        var out: [Value] = []
        out.reserveCapacity(items.count)
        if args.isEmpty, let attr = kw.first(where: { $0.name == "attribute" }) {
            var dflt: Value? = nil
            for a in kw where a.name != "attribute" {
                let (k, v) = (a.name, a.value)
                if k == "default" { dflt = v } else { throw .runtime("Unexpected keyword argument '\(k)'") }
            }
            if let d = dflt, d.isNoneValue { dflt = nil }
            let path = attrPath(attr.value)
            for x in items { out.append(try lookupPath(x, path, lower: false, default: dflt)) }
        } else {
            guard let first = args.first else { throw .runtime("map requires a filter argument") }
            let fname = try first.str()
            guard let fid = FilterID(rawValue: fname) else { throw .runtime("No filter named '\(fname)'.") }
            let rest = Array(args.dropFirst())
            for x in items { out.append(try filter(fid, fname, x, rest, kw)) }
        }
        return .iterator(IteratorRef(.generator, out))
    }

    func selectFilter(_ id: FilterID, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        if !(try Ops.truthy(value)) { return .iterator(IteratorRef(.generator, [])) }
        let lookupAttr = id == .selectattr || id == .rejectattr
        let wanted = id == .select || id == .selectattr
        var off = 0
        var path: [Value] = []
        if lookupAttr {
            guard let a = args.first else { throw .runtime("Missing parameter for attribute name") }
            path = attrPath(a)
            off = 1
        }
        var testID: TestID? = nil
        var testName = ""
        var testArgs: [Value] = []
        if args.count > off {
            testName = try args[off].str()
            testID = TestID(rawValue: testName)
            if testID == nil { throw .runtime("No test named '\(testName)'.") }
            testArgs = Array(args[(off + 1)...])
        }
        var out: [Value] = []
        for x in try Ops.iterate(value) {
            let v = lookupAttr ? try lookupPath(x, path, lower: false) : x
            let ok: Bool
            if let testID { ok = try test(testID, testName, v, testArgs, kw) } else { ok = try Ops.truthy(v) }
            if ok == wanted { out.append(x) }
        }
        return .iterator(IteratorRef(.generator, out))
    }

    func indentFilter(_ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs("indent", args, kw, "width,first,blank")
        var indention = "    "
        if let w = a[0] {
            if let s = w.stringValue { indention = s }
            else if let n = Ops.asIndex(w) { indention = String(repeating: " ", count: Swift.max(0, n)) }
            else { throw .type("can't multiply sequence by non-int of type '\(w.typeName)'") }
        }
        let first = try boolArg(a[1])
        let blank = try boolArg(a[2])
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

    func truncateFilter(_ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs("truncate", args, kw, "length,killwords,end,leeway")
        let length = try intArg(a[0], "truncate", default: 255)
        let killwords = try boolArg(a[1])
        let end = try a[2].map { v throws(TemplateError) in try v.str() } ?? "..."
        let leeway = try a[3].map { v throws(TemplateError) in try intArg(v, "truncate", default: 5) } ?? 5
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

    func stripTags(_ input: String) -> String {
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

    func fileSize(_ value: Value, binary: Bool) throws(TemplateError) -> String {
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

    func urlencode(_ value: Value) throws(TemplateError) -> String {
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

    func groupby(_ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs("groupby", args, kw, "attribute,default,case_sensitive", required: 1)
        let path = attrPath(a[0])
        let lower = !(try boolArg(a[2]))
        let dflt = a[1].flatMap { $0.isNoneValue ? nil : $0 }
        let items = try Ops.iterate(value)
        let sorted = try Sorting.sorted(items, reverse: false) { x throws(TemplateError) in
            try lookupPath(x, path, lower: lower, default: dflt)
        }
        var groups: [Value] = []
        var currentKey: Value? = nil
        var bucket: [Value] = []
        var firstItem: Value? = nil
        func flush() throws(TemplateError) {
            guard currentKey != nil, let f = firstItem else { return }
            // Without case sensitivity the grouper is the original value of the first item.
            let grouper = lower ? try lookupPath(f, path, lower: false, default: dflt) : currentKey!
            groups.append(.tuple([grouper, .list(ListRef(bucket))]))
        }
        for x in sorted {
            let k = try lookupPath(x, path, lower: lower, default: dflt)
            if let ck = currentKey, try Ops.equals(ck, k) {
                bucket.append(x)
            } else {
                try flush()
                currentKey = k
                bucket = [x]
                firstItem = x
            }
        }
        try flush()
        return .list(ListRef(groups))
    }

    func xmlattr(_ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs("xmlattr", args, kw, "autospace")
        let autospace = a[0] == nil ? true : try boolArg(a[0])
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
}

extension Value {
    var isNoneValue: Bool {
        if case .none = self { return true }
        return false
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
