/// Filters over the items of a sequence or mapping: picking, ordering, grouping, and
/// applying another filter or test to each item.
extension Filters {
    static func length(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        return .int(try Ops.length(value))
    }

    static func list(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        return .list(ListRef(try Ops.iterate(value)))
    }

    static func first(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        if case .iterator(let it) = value, it.kind.singleUse { return it.take().first ?? r.undefined(hint: "No first item, sequence was empty.") }
        return try Ops.iterate(value).first ?? r.undefined(hint: "No first item, sequence was empty.")
    }

    static func last(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        if case .iterator(let it) = value, it.kind == .generator {
            throw .type("'generator' object is not reversible")
        }
        if case .iterator(let it) = value, it.kind == .reversed {
            throw .type("'list_reverseiterator' object is not reversible")
        }
        return try Ops.iterate(value).last ?? r.undefined(hint: "No last item, sequence was empty.")
    }

    static func join(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "d,attribute")
        let sep = try a[0].map { v throws(TemplateError) in try v.str() } ?? ""
        var items = try Ops.iterate(value)
        if a[1] != nil {
            let path = r.attrPath(a[1])
            for i in items.indices { items[i] = try r.lookupPath(items[i], path, lower: false) }
        }
        var out = ""
        for (i, x) in items.enumerated() {
            let part = try x.str()
            try r.checkSize(out.utf8.count + (i > 0 ? sep.utf8.count : 0) + part.utf8.count)
            if i > 0 { out += sep }
            out += part
        }
        return .string(out)
    }

    static func sum(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "attribute,start")
        var acc = a[1] ?? .int(0)
        if acc.stringValue != nil { throw .type("sum() can't sum strings [use ''.join(seq) instead]") }
        let path = r.attrPath(a[0])
        for x in try Ops.iterate(value) {
            acc = try Ops.add(acc, a[0] == nil ? x : try r.lookupPath(x, path, lower: false))
        }
        return acc
    }

    static func sort(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "reverse,case_sensitive,attribute")
        let reverse = try r.boolArg(a[0])
        let lower = !(try r.boolArg(a[1]))
        // make_multi_attrgetter: "a,b" sorts by several attributes, and the key is always a
        // list, so equal (even undefined) keys compare via == without calling `<`.
        var paths: [[Value]] = [[]]
        if let attr = a[2], let s = attr.stringValue {
            paths = PyStr.split(s, sep: ",").map { r.attrPath(.string($0)) }
        } else if let attr = a[2], !attr.isNoneValue {
            paths = [r.attrPath(attr)]
        }
        let items = try Ops.iterate(value)
        return .list(ListRef(try Sorting.sorted(items, reverse: reverse) { x throws(TemplateError) in
            var key: [Value] = []
            for p in paths { key.append(try r.lookupPath(x, p, lower: lower)) }
            return .list(ListRef(key))
        }))
    }

    static func unique(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "case_sensitive,attribute")
        let lower = !(try r.boolArg(a[0]))
        let path = r.attrPath(a[1])
        var seen: [Value] = []
        var out: [Value] = []
        for x in try Ops.iterate(value) {
            let k = try r.lookupPath(x, path, lower: lower)
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

    static func min(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try extreme(r, name, value, args, kw, max: false)
    }

    static func max(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try extreme(r, name, value, args, kw, max: true)
    }

    static func reverse(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
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

    static func items(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try noArguments(name, args, kw)
        if value.isUndefined { return .iterator(IteratorRef(.generator, [])) }
        guard case .dict(let d) = value else { throw .type("Can only get item pairs from a mapping.") }
        var out: [Value] = []
        for i in 0..<d.count { out.append(.tuple([d.keys[i], d.values[i]])) }
        return .iterator(IteratorRef(.generator, out))
    }

    static func dictsort(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "case_sensitive,by,reverse")
        let lower = !(try r.boolArg(a[0]))
        let by = try a[1].map { v throws(TemplateError) in try v.str() } ?? "key"
        let pos: Int
        switch by {
        case "key": pos = 0
        case "value": pos = 1
        default: throw .runtime("You can only sort by either \"key\" or \"value\"")
        }
        let reverse = try r.boolArg(a[2])
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

    static func batch(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "linecount,fill_with", required: 1)
        let n = try r.intArg(a[0], "batch", default: 1)
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

    static func slice(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "slices,fill_with", required: 1)
        let slices = try r.intArg(a[0], "slice", default: 1)
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

    static func groupby(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs("groupby", args, kw, "attribute,default,case_sensitive", required: 1)
        let path = r.attrPath(a[0])
        let lower = !(try r.boolArg(a[2]))
        let dflt = a[1].flatMap { $0.isNoneValue ? nil : $0 }
        let items = try Ops.iterate(value)
        let sorted = try Sorting.sorted(items, reverse: false) { x throws(TemplateError) in
            try r.lookupPath(x, path, lower: lower, default: dflt)
        }
        var groups: [Value] = []
        var currentKey: Value? = nil
        var bucket: [Value] = []
        var firstItem: Value? = nil
        func flush() throws(TemplateError) {
            guard currentKey != nil, let f = firstItem else { return }
            // Without case sensitivity the grouper is the original value of the first item.
            let grouper = lower ? try r.lookupPath(f, path, lower: false, default: dflt) : currentKey!
            groups.append(.tuple([grouper, .list(ListRef(bucket))]))
        }
        for x in sorted {
            let k = try r.lookupPath(x, path, lower: lower, default: dflt)
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

    static func map(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
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
            let path = r.attrPath(attr.value)
            for x in items { out.append(try r.lookupPath(x, path, lower: false, default: dflt)) }
        } else {
            guard let first = args.first else { throw .runtime("map requires a filter argument") }
            let fname = try first.str()
            guard let filter = table[fname] else { throw .runtime("No filter named '\(fname)'.") }
            let rest = Array(args.dropFirst())
            for x in items { out.append(try filter(r, fname, x, rest, kw)) }
        }
        return .iterator(IteratorRef(.generator, out))
    }

    static func select(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try filterItems(r, value, args, kw, byAttribute: false, keep: true)
    }

    static func reject(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try filterItems(r, value, args, kw, byAttribute: false, keep: false)
    }

    static func selectattr(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try filterItems(r, value, args, kw, byAttribute: true, keep: true)
    }

    static func rejectattr(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        try filterItems(r, value, args, kw, byAttribute: true, keep: false)
    }

    /// `min` and `max`; `max` compares with `>`, as Python's does, so a type error names that operator.
    private static func extreme(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg], max: Bool) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "case_sensitive,attribute")
        let lower = !(try r.boolArg(a[0]))
        let path = r.attrPath(a[1])
        let items = try Ops.iterate(value)
        guard var best = items.first else { return r.undefined(hint: "No aggregated item, sequence was empty.") }
        var bestKey = try r.lookupPath(best, path, lower: lower)
        for x in items.dropFirst() {
            let k = try r.lookupPath(x, path, lower: lower)
            let better = max ? try Ops.compare(.gt, k, bestKey) : try Ops.less(k, bestKey)
            if better { best = x; bestKey = k }
        }
        return best
    }

    /// `select`/`reject` test each item, `selectattr`/`rejectattr` an attribute of it.
    private static func filterItems(_ r: Renderer, _ value: Value, _ args: [Value], _ kw: [KwArg], byAttribute: Bool, keep: Bool) throws(TemplateError) -> Value {
        if !(try Ops.truthy(value)) { return .iterator(IteratorRef(.generator, [])) }
        var off = 0
        var path: [Value] = []
        if byAttribute {
            guard let a = args.first else { throw .runtime("Missing parameter for attribute name") }
            path = r.attrPath(a)
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
            let v = byAttribute ? try r.lookupPath(x, path, lower: false) : x
            let ok: Bool
            if let testID { ok = try r.test(testID, testName, v, testArgs, kw) } else { ok = try Ops.truthy(v) }
            if ok == keep { out.append(x) }
        }
        return .iterator(IteratorRef(.generator, out))
    }
}
