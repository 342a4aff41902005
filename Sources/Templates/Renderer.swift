/// Lexical variable scope. Jinja2 gives `for` iterations, macros, `with` and block
/// bodies their own scope while `if` shares its parent's; closures (macros) keep a
/// reference to the scope they were defined in, so they see later assignments like
/// Python closures do.
final class Scope {
    var ids: [Int] = []
    var vals: [Value] = []
    let parent: Scope?

    init(parent: Scope?) {
        self.parent = parent
    }

    @inline(__always)
    func find(_ id: Int) -> Value? {
        var s: Scope? = self
        while let sc = s {
            let ids = sc.ids
            var i = ids.count - 1
            while i >= 0 {
                if ids[i] == id { return sc.vals[i] }
                i -= 1
            }
            s = sc.parent
        }
        return nil
    }

    @inline(__always)
    func set(_ id: Int, _ v: Value) {
        if let i = ids.firstIndex(of: id) {
            vals[i] = v
        } else {
            ids.append(id)
            vals.append(v)
        }
    }

    func reset() {
        ids.removeAll(keepingCapacity: true)
        vals.removeAll(keepingCapacity: true)
    }
}

final class MacroRef {
    let def: MacroDef
    let closure: Scope
    var name: String { def.name }
    init(_ def: MacroDef, _ closure: Scope) {
        self.def = def
        self.closure = closure
    }
}

/// Jinja2's `LoopContext`; the sequence is materialized up front so `length`,
/// `revindex`, `last` and `nextitem` are O(1).
final class LoopRef {
    let items: [Value]
    var index0 = 0
    let depth0: Int
    var lastChanged: [Value]? = nil
    let node: ForNode
    let outer: Scope
    var length: Int { items.count }

    init(items: [Value], depth0: Int, node: ForNode, outer: Scope) {
        self.items = items
        self.depth0 = depth0
        self.node = node
        self.outer = outer
    }
}

/// Parsed template plus the per-template tables the renderer needs.
final class CompiledTemplate: Sendable {
    let body: [Stmt]
    let names: [String]
    let options: TemplateOptions
    let name: String
    let source: [UInt8]

    init(body: [Stmt], names: [String], options: TemplateOptions, name: String, source: [UInt8]) {
        self.body = body
        self.names = names
        self.options = options
        self.name = name
        self.source = source
    }
}

/// Tree-walking evaluator. One instance per `render` call; not shared between threads.
final class Renderer {
    let tpl: CompiledTemplate
    let context: [String: TemplateValue]
    let strict: Bool
    var globals: [Value?]
    var out = ""
    var written = 0
    let maxOutput: Int
    let maxDepth: Int
    var depth = 0
    /// Input of a `nil`-input filter: the rendered body of a filter block / set block.
    var hole: Value = .none
    let root = Scope(parent: nil)

    init(_ tpl: CompiledTemplate, _ context: [String: TemplateValue]) {
        self.tpl = tpl
        self.context = context
        self.strict = tpl.options.strictUndefined
        self.globals = Array(repeating: nil, count: tpl.names.count)
        self.maxOutput = tpl.options.maxOutputSize
        self.maxDepth = tpl.options.maxRecursionDepth
    }

    func run() throws(TemplateError) -> String {
        out.reserveCapacity(min(tpl.source.count + 256, 1 << 16))
        try exec(tpl.body, root)
        return out
    }

    // MARK: output

    @inline(__always)
    func write(_ s: String) throws(TemplateError) {
        written &+= s.utf8.count
        if written > maxOutput { throw .limit("output size limit of \(maxOutput) bytes exceeded") }
        out.append(s)
    }

    @inline(__always)
    func writeValue(_ v: Value) throws(TemplateError) {
        switch v {
        case .string(let s), .markup(let s): try write(s)
        default: try write(try v.str())
        }
    }

    /// Renders into a fresh buffer (macro bodies, set/filter/call blocks).
    func capture(_ stmts: [Stmt], _ scope: Scope) throws(TemplateError) -> String {
        let saved = out
        out = ""
        try exec(stmts, scope)
        let result = out
        out = saved
        return result
    }

    func enterCall() throws(TemplateError) {
        depth += 1
        if depth > maxDepth { throw .limit("maximum recursion depth of \(maxDepth) exceeded") }
    }

    @inline(__always)
    func located(_ e: TemplateError, _ offset: Int) -> TemplateError {
        if e.sourceOffset >= 0 { return e }
        var e = e
        e.sourceOffset = offset
        return e
    }

    // MARK: statements

    func exec(_ stmts: [Stmt], _ scope: Scope) throws(TemplateError) {
        for s in stmts {
            switch s {
            case .text(let t):
                try write(t)
            case .output(let e, let off):
                do { try writeValue(try eval(e, scope)) } catch { throw located(error, off) }
            case .ifStmt(let branches, let els):
                var done = false
                for b in branches {
                    let ok: Bool
                    do { ok = try Ops.truthy(try eval(b.test, scope)) } catch { throw located(error, b.offset) }
                    if ok {
                        try exec(b.body, scope)
                        done = true
                        break
                    }
                }
                if !done { try exec(els, scope) }
            case .forLoop(let f):
                let items: [Value]
                do { items = try Ops.iterate(try eval(f.iter, scope)) } catch { throw located(error, f.offset) }
                try runLoop(f, items, scope, depth0: 0)
            case .assign(let target, let e, let off):
                do { try bind(target, try eval(e, scope), scope) } catch { throw located(error, off) }
            case .assignBlock(let target, let filter, let body, let off):
                let text = try capture(body, Scope(parent: scope))
                do {
                    var v = Value.string(text)
                    if let filter { v = try withHole(v) { () throws(TemplateError) -> Value in try eval(filter, scope) } }
                    try bind(target, v, scope)
                } catch { throw located(error, off) }
            case .macro(let id, let def):
                scope.set(id, .macro(MacroRef(def, scope)))
            case .callBlock(let def, let call, let off):
                do {
                    guard case .call(let fexpr, let args, _) = call else { break }
                    let callee = try eval(fexpr, scope)
                    var (pos, kw) = try evalArgs(args, scope)
                    kw.append(("caller", .macro(MacroRef(def, scope))))
                    try writeValue(try callValue(callee, pos, kw))
                } catch { throw located(error, off) }
            case .filterBlock(let filter, let body, let off):
                let text = try capture(body, Scope(parent: scope))
                do {
                    let v = try withHole(.string(text)) { () throws(TemplateError) -> Value in try eval(filter, scope) }
                    try writeValue(v)
                } catch { throw located(error, off) }
            case .with(let pairs, let body, let off):
                let inner = Scope(parent: scope)
                do {
                    var values: [Value] = []
                    for (_, e) in pairs { values.append(try eval(e, scope)) }
                    for (i, (t, _)) in pairs.enumerated() { try bind(t, values[i], inner) }
                } catch { throw located(error, off) }
                try exec(body, inner)
            case .block(_, let body, let scoped):
                try exec(body, Scope(parent: scoped ? scope : root))
            case .fail(let kind, let msg, let off):
                var e = TemplateError(kind: kind, message: msg)
                e.sourceOffset = off
                throw e
            }
        }
    }

    func withHole(_ v: Value, _ body: () throws(TemplateError) -> Value) throws(TemplateError) -> Value {
        let saved = hole
        hole = v
        defer { hole = saved }
        return try body()
    }

    func runLoop(_ f: ForNode, _ seq: [Value], _ outer: Scope, depth0: Int) throws(TemplateError) {
        var items = seq
        if let test = f.filter {
            let ts = Scope(parent: outer)
            var kept: [Value] = []
            for item in items {
                ts.reset()
                do {
                    try bind(f.target, item, ts)
                    if try Ops.truthy(try eval(test, ts)) { kept.append(item) }
                } catch { throw located(error, f.offset) }
            }
            items = kept
        }
        if items.isEmpty {
            if !f.elseBody.isEmpty { try exec(f.elseBody, Scope(parent: outer)) }
            return
        }
        let loop: LoopRef? = f.usesLoop ? LoopRef(items: items, depth0: depth0, node: f, outer: outer) : nil
        var iterScope = Scope(parent: outer)
        for i in items.indices {
            if f.capturesScope { iterScope = Scope(parent: outer) } else if i > 0 { iterScope.reset() }
            if let loop {
                loop.index0 = i
                iterScope.set(f.loopID, .loop(loop))
            }
            do { try bind(f.target, items[i], iterScope) } catch { throw located(error, f.offset) }
            try exec(f.body, iterScope)
        }
    }

    func bind(_ t: Target, _ v: Value, _ scope: Scope) throws(TemplateError) {
        switch t {
        case .name(let id):
            scope.set(id, v)
        case .tuple(let targets):
            let items: [Value]
            switch v {
            case .list, .tuple, .dict, .string, .markup, .range, .iterator, .undefined: items = try Ops.iterate(v)
            default: throw .type("cannot unpack non-iterable \(v.typeName) object")
            }
            if items.count > targets.count { throw .runtime("too many values to unpack (expected \(targets.count))") }
            if items.count < targets.count {
                throw .runtime("not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for i in targets.indices { try bind(targets[i], items[i], scope) }
        case .nsref(let id, let attr):
            guard case .namespace(let ns) = lookup(id, scope) else {
                throw .runtime("cannot assign attribute on non-namespace object")
            }
            ns.attrs.set(.string(attr), v)
        }
    }

    // MARK: variables

    @inline(__always)
    func lookup(_ id: Int, _ scope: Scope) -> Value {
        if let v = scope.find(id) { return v }
        return global(id)
    }

    func global(_ id: Int) -> Value {
        if let v = globals[id] { return v }
        let name = tpl.names[id]
        let v: Value
        if let tv = context[name] {
            v = Value(tv)
        } else {
            switch name {
            case "range": v = .builtin(.range)
            case "dict": v = .builtin(.dict)
            case "namespace": v = .builtin(.namespace)
            case "cycler": v = .builtin(.cycler)
            case "joiner": v = .builtin(.joiner)
            case "lipsum": v = .builtin(.lipsum)
            default: v = .undefined(UndefinedInfo(name: name, strict: strict))
            }
        }
        globals[id] = v
        return v
    }

    func undefined(hint: String? = nil, name: String? = nil) -> Value {
        .undefined(UndefinedInfo(name: name, hint: hint, strict: strict))
    }

    // MARK: expressions

    func eval(_ e: Expr, _ scope: Scope) throws(TemplateError) -> Value {
        switch e {
        case .literal(let l):
            switch l {
            case .string(let s): return .string(s)
            case .int(let i): return .int(i)
            case .float(let d): return .float(d)
            case .bool(let b): return .bool(b)
            case .none: return .none
            }
        case .name(let id):
            return lookup(id, scope)
        case .getattr(let o, let name):
            return try getattr(try eval(o, scope), name)
        case .getitem(let o, let k):
            let obj = try eval(o, scope)
            if case .slice(let a, let b, let c) = k {
                return try slice(obj, try a.map { x throws(TemplateError) in try eval(x, scope) },
                                 try b.map { x throws(TemplateError) in try eval(x, scope) },
                                 try c.map { x throws(TemplateError) in try eval(x, scope) })
            }
            return try getitem(obj, try eval(k, scope))
        case .filter(let input, let fc):
            let v = try input.map { x throws(TemplateError) in try eval(x, scope) } ?? hole
            return try applyFilter(fc, v, scope)
        case .test(let input, let tc):
            return .bool(try applyTest(tc, try eval(input, scope), scope))
        case .call(let fexpr, let args, _):
            if case .getattr(let oexpr, let name) = fexpr {
                let obj = try eval(oexpr, scope)
                let (pos, kw) = try evalArgs(args, scope)
                if let r = try callMethod(obj, name, pos, kw) { return r }
                return try callValue(try getattr(obj, name), pos, kw)
            }
            let callee = try eval(fexpr, scope)
            let (pos, kw) = try evalArgs(args, scope)
            return try callValue(callee, pos, kw)
        case .compare(let first, let ops):
            var left = try eval(first, scope)
            for (op, rexpr) in ops {
                let right = try eval(rexpr, scope)
                let r: Bool
                switch op {
                case .eq: r = try Ops.equals(left, right)
                case .ne: r = !(try Ops.equals(left, right))
                case .lt: r = try Ops.compare(.lt, left, right)
                case .lteq: r = try Ops.compare(.le, left, right)
                case .gt: r = try Ops.compare(.gt, left, right)
                case .gteq: r = try Ops.compare(.ge, left, right)
                case .in: r = try Ops.contains(right, left)
                case .notin: r = !(try Ops.contains(right, left))
                }
                if !r { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let a, let b):
            let l = try eval(a, scope)
            if !(try Ops.truthy(l)) { return l }
            return try eval(b, scope)
        case .or(let a, let b):
            let l = try eval(a, scope)
            if try Ops.truthy(l) { return l }
            return try eval(b, scope)
        case .not(let x):
            return .bool(!(try Ops.truthy(try eval(x, scope))))
        case .binary(let op, let a, let b):
            return try Ops.binary(op, try eval(a, scope), try eval(b, scope), limit: maxOutput)
        case .concat(let parts):
            var s = ""
            for p in parts { s += try eval(p, scope).str() }
            return .string(s)
        case .cond(let test, let then, let els):
            if try Ops.truthy(try eval(test, scope)) { return try eval(then, scope) }
            if let els { return try eval(els, scope) }
            return .undefined(UndefinedInfo(hint: "the inline if-expression evaluated to false and no else section was defined.", strict: false))
        case .neg(let x):
            return try Ops.negate(try eval(x, scope))
        case .pos(let x):
            return try Ops.positive(try eval(x, scope))
        case .list(let xs):
            var items: [Value] = []
            items.reserveCapacity(xs.count)
            for x in xs { items.append(try eval(x, scope)) }
            return .list(ListRef(items))
        case .tuple(let xs):
            var items: [Value] = []
            items.reserveCapacity(xs.count)
            for x in xs { items.append(try eval(x, scope)) }
            return .tuple(items)
        case .dict(let pairs):
            let d = DictRef()
            for (k, v) in pairs {
                let key = try eval(k, scope)
                try Ops.checkHashable(key)
                d.set(key, try eval(v, scope))
            }
            return .dict(d)
        case .slice:
            throw .runtime("slice outside of subscript")
        }
    }

    func evalArgs(_ args: CallArgs, _ scope: Scope) throws(TemplateError) -> ([Value], [(String, Value)]) {
        var pos: [Value] = []
        pos.reserveCapacity(args.args.count)
        for a in args.args { pos.append(try eval(a, scope)) }
        var kw: [(String, Value)] = []
        for k in args.kwargs { kw.append((k.name, try eval(k.value, scope))) }
        if let d = args.dynArgs {
            pos.append(contentsOf: try Ops.iterate(try eval(d, scope)))
        }
        if let d = args.dynKwargs {
            let v = try eval(d, scope)
            guard case .dict(let dict) = v else {
                throw .type("argument after ** must be a mapping, not \(v.typeName)")
            }
            for i in 0..<dict.count {
                guard let key = dict.keys[i].stringValue else { throw .type("keywords must be strings") }
                if kw.contains(where: { $0.0 == key }) { throw .type("got multiple values for keyword argument '\(key)'") }
                kw.append((key, dict.values[i]))
            }
        }
        return (pos, kw)
    }

    // MARK: attribute and item access (Environment.getattr / getitem)

    /// Python `getattr(obj, name)` without the item fallback; nil means AttributeError.
    func pyGetattr(_ obj: Value, _ name: String) -> Value? {
        switch obj {
        case .namespace(let ns):
            return ns.attrs.get(string: name)
        case .loop(let l):
            return loopAttribute(l, name)
        case .macro(let m):
            switch name {
            case "name": return .string(m.name)
            case "arguments": return .tuple(m.def.paramNames.map { .string($0) })
            case "catch_kwargs": return .bool(m.def.usesKwargs)
            case "catch_varargs": return .bool(m.def.usesVarargs)
            case "caller": return .bool(m.def.usesCaller)
            default: return nil
            }
        case .cycler(let c):
            switch name {
            case "current": return c.items[c.pos]
            case "items": return .list(ListRef(c.items))
            case "next", "reset": return .method(BoundMethod(obj, name))
            default: return nil
            }
        case .range(let r):
            switch name {
            case "start": return .int(r.start)
            case "stop": return .int(r.stop)
            case "step": return .int(r.step)
            case "count", "index": return .method(BoundMethod(obj, name))
            default: return nil
            }
        default:
            if Methods.has(obj, name) { return .method(BoundMethod(obj, name)) }
            return nil
        }
    }

    func loopAttribute(_ l: LoopRef, _ name: String) -> Value? {
        switch name {
        case "index": return .int(l.index0 + 1)
        case "index0": return .int(l.index0)
        case "first": return .bool(l.index0 == 0)
        case "last": return .bool(l.index0 == l.items.count - 1)
        case "length": return .int(l.items.count)
        case "revindex": return .int(l.items.count - l.index0)
        case "revindex0": return .int(l.items.count - l.index0 - 1)
        case "previtem":
            return l.index0 > 0 ? l.items[l.index0 - 1] : undefined(hint: "there is no previous item")
        case "nextitem":
            return l.index0 + 1 < l.items.count ? l.items[l.index0 + 1] : undefined(hint: "there is no next item")
        case "depth": return .int(l.depth0 + 1)
        case "depth0": return .int(l.depth0)
        case "cycle", "changed": return .method(BoundMethod(.loop(l), name))
        default: return nil
        }
    }

    /// Python `obj[key]`; nil stands for the LookupError/TypeError Jinja2 swallows.
    func pyGetitem(_ obj: Value, _ key: Value) throws(TemplateError) -> Value? {
        switch obj {
        case .dict(let d):
            if let s = key.stringValue { return d.get(string: s) }
            switch key {
            case .list, .dict: return nil
            case .undefined(let u): if u.strict { throw u.error }
            default: break
            }
            return d.get(key)
        case .list(let l):
            guard let i = index(key, l.items.count) else { return nil }
            return l.items[i]
        case .tuple(let t):
            guard let i = index(key, t.count) else { return nil }
            return t[i]
        case .string(let s), .markup(let s):
            guard let k = Ops.asIndex(key) else { return nil }
            let n = PyStr.len(s)
            let i = k < 0 ? k + n : k
            if i < 0 || i >= n { return nil }
            let sc = s.unicodeScalars
            return .string(String(sc[sc.index(sc.startIndex, offsetBy: i)]))
        case .range(let r):
            guard let i = index(key, r.count) else { return nil }
            return .int(r[i])
        case .undefined(let u):
            throw u.error
        default:
            return nil
        }
    }

    @inline(__always)
    func index(_ key: Value, _ count: Int) -> Int? {
        guard let k = Ops.asIndex(key) else { return nil }
        let i = k < 0 ? k + count : k
        return i >= 0 && i < count ? i : nil
    }

    /// Jinja2 `Environment.getattr`: attribute first, then item.
    func getattr(_ obj: Value, _ name: String) throws(TemplateError) -> Value {
        switch obj {
        case .dict(let d):
            // Dict methods shadow keys (Python attribute lookup wins).
            if Methods.isDictMethod(name) { return .method(BoundMethod(obj, name)) }
            if let v = d.get(string: name) { return v }
        case .undefined(let u):
            throw u.error
        default:
            if let v = pyGetattr(obj, name) { return v }
            if let v = try pyGetitem(obj, .string(name)) { return v }
        }
        return .undefined(UndefinedInfo(name: name, owner: obj.objectTypeRepr, strict: strict))
    }

    /// Jinja2 `Environment.getitem`: item first, then attribute for string keys.
    func getitem(_ obj: Value, _ key: Value) throws(TemplateError) -> Value {
        if let v = try pyGetitem(obj, key) { return v }
        if let s = key.stringValue, let v = pyGetattr(obj, s) { return v }
        if let s = key.stringValue {
            return .undefined(UndefinedInfo(name: s, owner: obj.objectTypeRepr, strict: strict))
        }
        return .undefined(UndefinedInfo(name: key.repr(), owner: obj.objectTypeRepr, itemKey: key.repr(), strict: strict))
    }

    func slice(_ obj: Value, _ a: Value?, _ b: Value?, _ c: Value?) throws(TemplateError) -> Value {
        if case .undefined(let u) = obj { throw u.error }
        func part(_ v: Value?) -> Int?? {
            guard let v else { return .some(nil) }
            if case .none = v { return .some(nil) }
            if let i = Ops.asIndex(v) { return .some(i) }
            return nil
        }
        guard let start = part(a), let stop = part(b), let stepOpt = part(c) else {
            // TypeError from slice indices is swallowed by Environment.getitem.
            return .undefined(UndefinedInfo(name: "slice", owner: obj.objectTypeRepr, strict: strict))
        }
        let step = stepOpt ?? 1
        switch obj {
        case .list, .tuple, .string, .markup, .range:
            if step == 0 { throw .runtime("slice step cannot be zero") }
        default: break
        }
        switch obj {
        case .list(let l):
            let idx = PyStr.sliceIndices(count: l.items.count, start: start, stop: stop, step: step)
            return .list(ListRef(idx.map { l.items[$0] }))
        case .tuple(let t):
            let idx = PyStr.sliceIndices(count: t.count, start: start, stop: stop, step: step)
            return .tuple(idx.map { t[$0] })
        case .string(let s), .markup(let s):
            let sc = Array(s.unicodeScalars)
            let idx = PyStr.sliceIndices(count: sc.count, start: start, stop: stop, step: step)
            let r = PyStr.make(idx.map { sc[$0] })
            if case .markup = obj { return .markup(r) }
            return .string(r)
        case .range(let r):
            let (s, e) = PyStr.sliceBounds(count: r.count, start: start, stop: stop, step: step)
            return .range(RangeRef(r.start + s * r.step, r.start + e * r.step, r.step * step))
        default:
            return .undefined(UndefinedInfo(name: "slice", owner: obj.objectTypeRepr, strict: strict))
        }
    }

    // MARK: calls

    func callValue(_ callee: Value, _ args: [Value], _ kwargs: [(String, Value)]) throws(TemplateError) -> Value {
        switch callee {
        case .macro(let m):
            return try callMacro(m, args, kwargs)
        case .builtin(let b):
            return try callBuiltin(b, args, kwargs)
        case .method(let m):
            if let r = try callMethod(m.receiver, m.name, args, kwargs) { return r }
            throw .type("'\(callee.typeName)' object is not callable")
        case .loop(let l):
            return try callLoop(l, args, kwargs)
        case .joiner(let j):
            if !j.used { j.used = true; return .string("") }
            return .string(j.sep)
        case .undefined(let u):
            throw u.error
        default:
            throw .type("'\(callee.typeName)' object is not callable")
        }
    }

    func callMacro(_ m: MacroRef, _ args: [Value], _ kwargs: [(String, Value)]) throws(TemplateError) -> Value {
        try enterCall()
        defer { depth -= 1 }
        let def = m.def
        let s = Scope(parent: m.closure)
        var kw = kwargs
        let n = def.params.count
        var missing: [Int] = []
        for i in 0..<n {
            if i < args.count {
                s.set(def.params[i], args[i])
            } else if let k = kw.firstIndex(where: { $0.0 == def.paramNames[i] }) {
                s.set(def.params[i], kw[k].1)
                kw.remove(at: k)
            } else {
                missing.append(i)
            }
        }
        if def.usesCaller {
            if let k = kw.firstIndex(where: { $0.0 == "caller" }) {
                s.set(def.callerID, kw[k].1)
                kw.remove(at: k)
            } else {
                s.set(def.callerID, .undefined(UndefinedInfo(name: "caller", hint: "No caller defined", strict: strict)))
            }
        }
        if def.usesKwargs {
            let d = DictRef()
            for (k, v) in kw { d.set(.string(k), v) }
            s.set(def.kwargsID, .dict(d))
        } else if let first = kw.first {
            if kw.contains(where: { $0.0 == "caller" }) {
                throw .type("macro '\(def.name)' was invoked with two values for the special caller argument. This is most likely a bug.")
            }
            throw .type("macro '\(def.name)' takes no keyword argument '\(first.0)'")
        }
        if def.usesVarargs {
            s.set(def.varargsID, .tuple(args.count > n ? Array(args[n...]) : []))
        } else if args.count > n {
            throw .type("macro '\(def.name)' takes not more than \(n) argument(s)")
        }
        let firstDefault = n - def.defaults.count
        for i in missing {
            if i >= firstDefault {
                s.set(def.params[i], try eval(def.defaults[i - firstDefault], s))
            } else {
                s.set(def.params[i], .undefined(UndefinedInfo(name: def.paramNames[i], hint: "parameter '\(def.paramNames[i])' was not provided", strict: strict)))
            }
        }
        return .string(try capture(def.body, s))
    }

    func callLoop(_ l: LoopRef, _ args: [Value], _ kwargs: [(String, Value)]) throws(TemplateError) -> Value {
        guard l.node.recursive else {
            throw .type("The loop must have the 'recursive' marker to be called recursively.")
        }
        guard args.count == 1, kwargs.isEmpty else { throw .type("loop() takes exactly one argument") }
        try enterCall()
        defer { depth -= 1 }
        let items = try Ops.iterate(args[0])
        let saved = out
        out = ""
        try runLoop(l.node, items, l.outer, depth0: l.depth0 + 1)
        let r = out
        out = saved
        return .string(r)
    }
}
