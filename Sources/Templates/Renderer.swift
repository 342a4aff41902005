/// Lexical variable scope. Jinja2 gives `for` iterations, macros, `with` and block
/// bodies their own scope while `if` shares its parent's; closures (macros) keep a
/// reference to the scope they were defined in, so they see later assignments like
/// Python closures do.
final class Scope {
    /// Bindings of this scope as (name id, value) pairs; scopes are tiny, so a linear
    /// scan over one array beats hashing.
    struct Binding {
        var id: Int
        var value: Value
    }

    @exclusivity(unchecked) var slots: [Binding] = []
    let parent: Scope?

    init(parent: Scope?) {
        self.parent = parent
    }

    @inline(__always)
    func find(_ id: Int) -> Value? {
        var s: Scope? = self
        while let sc = s {
            for i in sc.slots.indices.reversed() where sc.slots[i].id == id { return sc.slots[i].value }
            s = sc.parent
        }
        return nil
    }

    @inline(__always)
    func set(_ id: Int, _ v: Value) {
        for i in slots.indices where slots[i].id == id {
            slots[i].value = v
            return
        }
        if slots.capacity == 0 { slots.reserveCapacity(parent == nil ? 16 : 4) }  // avoid regrowth
        slots.append(Binding(id: id, value: v))
    }

    func reset() {
        slots.removeAll(keepingCapacity: true)
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
    @exclusivity(unchecked) var index0 = 0
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
    /// Output as UTF-8 bytes: appending bytes is cheaper than `String.append`.
    @exclusivity(unchecked) var out: [UInt8] = []
    @exclusivity(unchecked) var written = 0
    let maxOutput: Int
    let maxDepth: Int
    @exclusivity(unchecked) var depth = 0
    /// Input of a `nil`-input filter: the rendered body of a filter block / set block.
    @exclusivity(unchecked) var hole: Value = .none
    /// Jinja2 yields `{% filter %}`/`{% call %}` results without `str()`; a non-string
    /// only fails when the output is joined at the end of the enclosing buffer, after
    /// everything else in it rendered. Recorded here, thrown at that point.
    @exclusivity(unchecked) var pendingJoinError: TemplateError? = nil
    /// Set while evaluating an output expression Jinja2 would constant-fold.
    @exclusivity(unchecked) var foldingConstant = false
    let root = Scope(parent: nil)

    init(_ tpl: CompiledTemplate, _ context: [String: TemplateValue]) {
        self.tpl = tpl
        self.context = context
        self.strict = tpl.options.strictUndefined
        self.maxOutput = tpl.options.maxOutputSize
        self.maxDepth = tpl.options.maxRecursionDepth
    }

    func run() throws(TemplateError) -> String {
        out.reserveCapacity(min(tpl.source.count + 256, 1 << 16))
        defer { out = [] }
        try exec(tpl.body, root)
        if let e = pendingJoinError { throw e }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: output

    @inline(__always)
    func write(_ s: String) throws(TemplateError) {
        written &+= s.utf8.count
        if written > maxOutput { throw .limit("output size limit of \(maxOutput) bytes exceeded") }
        out.append(contentsOf: s.utf8)
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
        let savedPending = pendingJoinError
        out = []
        pendingJoinError = nil
        try exec(stmts, scope)
        if let e = pendingJoinError { throw e }
        let result = String(decoding: out, as: UTF8.self)
        out = saved
        pendingJoinError = savedPending
        return result
    }

    /// Writes a value Jinja2 yields without `str()` (see `pendingJoinError`).
    func writeRaw(_ v: Value, _ offset: Int) throws(TemplateError) {
        if let s = v.stringValue { return try write(s) }
        if pendingJoinError == nil {
            var e = TemplateError.type("sequence item: expected str instance, \(v.typeName) found")
            e.sourceOffset = offset
            pendingJoinError = e
        }
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
                try execIf(branches, els, scope)
            case .forLoop(let f):
                let items: [Value]
                do { items = try Ops.iterate(try eval(f.iter, scope)) } catch { throw located(error, f.offset) }
                try runLoop(f, items, scope, depth0: 0)
            case .assign(let target, let e, let off):
                do { try bind(target, try eval(e, scope), scope) } catch { throw located(error, off) }
            default:
                try execOther(s, scope)
            }
        }
    }

    @inline(never)
    func execIf(_ branches: [IfBranch], _ els: [Stmt], _ scope: Scope) throws(TemplateError) {
        for b in branches {
            let ok: Bool
            do { ok = try Ops.truthy(try eval(b.test, scope)) } catch { throw located(error, b.offset) }
            if ok { return try exec(b.body, scope) }
        }
        try exec(els, scope)
    }

    /// Less frequent statements, kept out of `exec` so its hot loop stays small.
    @inline(never)
    func execOther(_ s: Stmt, _ scope: Scope) throws(TemplateError) {
        switch s {
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
                guard case .call(let fexpr, let args, _) = call else { return }
                let callee = try eval(fexpr, scope)
                var (pos, kw) = try evalArgs(args, scope)
                kw.append(KwArg(name: "caller", value: .macro(MacroRef(def, scope))))
                try writeRaw(try callValue(callee, pos, kw), off)
            } catch { throw located(error, off) }
        case .filterBlock(let filter, let body, let off):
            let text = try capture(body, Scope(parent: scope))
            do {
                let v = try withHole(.string(text)) { () throws(TemplateError) -> Value in try eval(filter, scope) }
                try writeRaw(v, off)
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
        case .constOutput(let e, let off):
            // Compile-time folding only sticks when it succeeds; otherwise Jinja2 evaluates
            // the expression at runtime (constant expressions have no side effects).
            foldingConstant = true
            var folded: Value? = nil
            do { folded = try eval(e, scope) } catch { folded = nil }
            foldingConstant = false
            do {
                if let folded { try writeValue(folded) } else { try writeValue(try eval(e, scope)) }
            } catch { throw located(error, off) }
        case .declareUndefined(let ids):
            for id in ids { scope.set(id, .undefined(UndefinedInfo(name: tpl.names[id], strict: strict))) }
        default:
            try exec([s], scope)
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
            kept.reserveCapacity(items.count)
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

    /// Resolves a name from the render context or Jinja2's default globals; the result
    /// is cached in the root scope (a top-level `set` would shadow it there anyway).
    func global(_ id: Int) -> Value {
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
        root.set(id, v)
        return v
    }

    /// `ctx_var[key]` where `ctx_var` is still untouched context data and the element is a
    /// scalar: read it straight from the `TemplateValue` instead of converting the whole
    /// container (nothing can have mutated it yet, so this is observably identical).
    func contextScalar(_ id: Int, _ k: Expr) throws(TemplateError) -> Value? {
        guard let tv = context[tpl.names[id]] else { return nil }
        let elem: TemplateValue?
        switch tv {
        case .array(let a):
            guard case .literal(.int(let i)) = k else { return nil }
            let j = i < 0 ? i + a.count : i
            elem = j >= 0 && j < a.count ? a[j] : nil
        case .dictionary(let d):
            guard case .literal(.string(let s)) = k else { return nil }
            elem = d[s]
        default:
            return nil
        }
        switch elem {
        case .string(let s)?: return .string(s)
        case .int(let i)?: return .int(i)
        case .double(let d)?: return .float(d)
        case .bool(let b)?: return .bool(b)
        case .null?: return Value.none
        default: return nil
        }
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
            return try evalGetitem(o, k, scope)
        case .filter(let input, let fc):
            let v = try input.map { x throws(TemplateError) in try eval(x, scope) } ?? hole
            return try applyFilter(fc, v, scope)
        case .test(let input, let tc):
            return .bool(try applyTest(tc, try eval(input, scope), scope))
        case .call(let fexpr, let args, _):
            return try evalCall(fexpr, args, scope)
        case .compare(let first, let ops):
            return try evalCompare(first, ops, scope)
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
            return try evalBinary(op, a, b, scope)
        default:
            return try evalOther(e, scope)
        }
    }

    @inline(never)
    func evalGetitem(_ o: Expr, _ k: Expr, _ scope: Scope) throws(TemplateError) -> Value {
        let obj: Value
        if case .name(let id) = o {
            if let v = scope.find(id) {
                obj = v
            } else {
                if let v = try contextScalar(id, k) { return v }
                obj = global(id)
            }
        } else {
            obj = try eval(o, scope)
        }
        // Fast path for the ubiquitous `message['role']`.
        if case .literal(.string(let key)) = k, case .dict(let d) = obj, let v = d.get(string: key) { return v }
        if case .slice(let a, let b, let c) = k {
            // Jinja2 compiles slicing to a plain Python subscript (errors propagate) unless
            // the optimizer folds a constant expression through Environment.getitem.
            let constant = foldingConstant
            return try slice(obj, try a.map { x throws(TemplateError) in try eval(x, scope) },
                             try b.map { x throws(TemplateError) in try eval(x, scope) },
                             try c.map { x throws(TemplateError) in try eval(x, scope) }, constant: constant)
        }
        return try getitem(obj, try eval(k, scope))
    }

    @inline(never)
    func evalCall(_ fexpr: Expr, _ args: CallArgs, _ scope: Scope) throws(TemplateError) -> Value {
        if case .getattr(let oexpr, let name) = fexpr {
            let obj = try eval(oexpr, scope)
            let (pos, kw) = try evalArgs(args, scope)
            if let r = try callMethod(obj, name, pos, kw) { return r }
            return try callValue(try getattr(obj, name), pos, kw)
        }
        let callee = try eval(fexpr, scope)
        let (pos, kw) = try evalArgs(args, scope)
        return try callValue(callee, pos, kw)
    }

    @inline(never)
    func evalCompare(_ first: Expr, _ ops: [(CompareOp, Expr)], _ scope: Scope) throws(TemplateError) -> Value {
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
    }

    @inline(never)
    func evalBinary(_ op: BinaryOp, _ a: Expr, _ b: Expr, _ scope: Scope) throws(TemplateError) -> Value {
        var l = try eval(a, scope)
        let r = try eval(b, scope)
        if op == .add, case .string(var s) = l, case .string(let t) = r {
            // Chains like `'<a>' + x + '</a>'` append in place instead of copying each step.
            try checkSize(s.utf8.count + t.utf8.count)
            l = .none
            s += t
            return .string(s)
        }
        return try checkSize(try Ops.binary(op, l, r, limit: maxOutput))
    }

    @inline(never)
    func evalOther(_ e: Expr, _ scope: Scope) throws(TemplateError) -> Value {
        switch e {
        case .concat(let parts):
            // Python builds the tuple of operands before converting any of them.
            var values: [Value] = []
            values.reserveCapacity(parts.count)
            for p in parts { values.append(try eval(p, scope)) }
            var s = ""
            for v in values {
                let part = try v.str()
                try checkSize(s.utf8.count + part.utf8.count)
                s += part
            }
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
            let d = DictRef(capacity: pairs.count)
            for (k, v) in pairs {
                let key = try eval(k, scope)
                try Ops.checkHashable(key)
                d.set(key, try eval(v, scope))
            }
            return .dict(d)
        case .slice:
            throw .runtime("slice outside of subscript")
        default:
            return try eval(e, scope)
        }
    }

    func evalArgs(_ args: CallArgs, _ scope: Scope) throws(TemplateError) -> ([Value], [KwArg]) {
        var pos: [Value] = []
        pos.reserveCapacity(args.args.count)
        for a in args.args { pos.append(try eval(a, scope)) }
        var kw: [KwArg] = []
        if !args.kwargs.isEmpty { kw.reserveCapacity(args.kwargs.count) }
        for k in args.kwargs { kw.append(KwArg(name: k.name, value: try eval(k.value, scope))) }
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
                if kw.contains(where: { $0.name == key }) { throw .type("got multiple values for keyword argument '\(key)'") }
                kw.append(KwArg(name: key, value: dict.values[i]))
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
        case .tuple(let t) where t.count == 2 && (name == "grouper" || name == "list"):
            // `groupby` yields `_GroupTuple(grouper, list)` named tuples.
            return name == "grouper" ? t[0] : t[1]
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
        switch name.utf8.count {
        case 4:
            if name == "last" { return .bool(l.index0 == l.items.count - 1) }
        case 5:
            if name == "index" { return .int(l.index0 + 1) }
            if name == "first" { return .bool(l.index0 == 0) }
        case 6:
            if name == "index0" { return .int(l.index0) }
            if name == "length" { return .int(l.items.count) }
        default:
            break
        }
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
            guard let i = index(key, l.count) else { return nil }
            return l.element(i)
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

    func slice(_ obj: Value, _ a: Value?, _ b: Value?, _ c: Value?, constant: Bool = false) throws(TemplateError) -> Value {
        if case .undefined(let u) = obj { throw u.error }
        if !constant {
            switch obj {
            case .list, .tuple, .string, .markup, .range: break
            case .dict: throw .type("unhashable type: 'slice'")
            default: throw .type("'\(obj.typeName)' object is not subscriptable")
            }
        }
        func part(_ v: Value?) -> Int?? {
            guard let v else { return .some(nil) }
            if case .none = v { return .some(nil) }
            if let i = Ops.asIndex(v) { return .some(i) }
            return nil
        }
        guard let start = part(a), let stop = part(b), let stepOpt = part(c) else {
            if !constant { throw .type("slice indices must be integers or None or have an __index__ method") }
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

    func callValue(_ callee: Value, _ args: [Value], _ kwargs: [KwArg]) throws(TemplateError) -> Value {
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

    func callMacro(_ m: MacroRef, _ args: [Value], _ kwargs: [KwArg]) throws(TemplateError) -> Value {
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
            } else if let k = kw.firstIndex(where: { $0.name == def.paramNames[i] }) {
                s.set(def.params[i], kw[k].value)
                kw.remove(at: k)
            } else {
                missing.append(i)
            }
        }
        if def.usesCaller {
            if let k = kw.firstIndex(where: { $0.name == "caller" }) {
                s.set(def.callerID, kw[k].value)
                kw.remove(at: k)
            } else {
                s.set(def.callerID, .undefined(UndefinedInfo(name: "caller", hint: "No caller defined", strict: strict)))
            }
        }
        if def.usesKwargs {
            let d = DictRef()
            for a in kw { d.set(.string(a.name), a.value) }
            s.set(def.kwargsID, .dict(d))
        } else if let first = kw.first {
            if kw.contains(where: { $0.name == "caller" }) {
                throw .type("macro '\(def.name)' was invoked with two values for the special caller argument. This is most likely a bug.")
            }
            throw .type("macro '\(def.name)' takes no keyword argument '\(first.name)'")
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

    func callLoop(_ l: LoopRef, _ args: [Value], _ kwargs: [KwArg]) throws(TemplateError) -> Value {
        guard l.node.recursive else {
            throw .type("The loop must have the 'recursive' marker to be called recursively.")
        }
        guard args.count == 1, kwargs.isEmpty else { throw .type("loop() takes exactly one argument") }
        try enterCall()
        defer { depth -= 1 }
        let items = try Ops.iterate(args[0])
        let saved = out
        let savedPending = pendingJoinError
        out = []
        pendingJoinError = nil
        try runLoop(l.node, items, l.outer, depth0: l.depth0 + 1)
        if let e = pendingJoinError { throw e }
        let r = String(decoding: out, as: UTF8.self)
        out = saved
        pendingJoinError = savedPending
        return .string(r)
    }
}
