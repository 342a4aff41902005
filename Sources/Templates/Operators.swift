#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Python operator semantics: truthiness, equality, ordering, arithmetic, membership,
/// iteration and `len()`, including how Jinja2's `Undefined` reacts to each.
enum Ops {
    // MARK: truthiness

    static func truthy(_ v: Value) throws(TemplateError) -> Bool {
        switch v {
        case .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s), .markup(let s): return !s.isEmpty
        case .list(let l): return !l.items.isEmpty
        case .tuple(let t): return !t.isEmpty
        case .dict(let d): return d.count > 0
        case .undefined(let u):
            if u.strict { throw u.error }
            return false
        case .iterator(let it): return it.viewCount.map { $0 > 0 } ?? true
        case .range(let r): return r.count > 0
        default: return true
        }
    }

    // MARK: numbers

    enum Num {
        case int(Int)
        case float(Double)
    }

    @inline(__always)
    static func number(_ v: Value) -> Num? {
        switch v {
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .bool(let b): return .int(b ? 1 : 0)
        default: return nil
        }
    }

    @inline(__always)
    static func asIndex(_ v: Value) -> Int? {
        switch v {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    static func undefinedError(_ a: Value, _ b: Value) -> TemplateError? {
        if case .undefined(let u) = a { return u.error }
        if case .undefined(let u) = b { return u.error }
        return nil
    }

    // MARK: equality

    /// Python `a == b`. StrictUndefined raises; plain Undefined equals only other Undefineds.
    static func equals(_ a: Value, _ b: Value) throws(TemplateError) -> Bool {
        if case .string(let x) = a, case .string(let y) = b { return PyStr.equal(x, y) }
        if case .int(let x) = a, case .int(let y) = b { return x == y }
        switch (a, b) {
        case (.undefined(let u), _) where u.strict: throw u.error
        case (_, .undefined(let u)) where u.strict: throw u.error
        case (.undefined, .undefined): return true
        case (.undefined, _), (_, .undefined): return false
        case (.string(let x), .string(let y)), (.string(let x), .markup(let y)),
             (.markup(let x), .string(let y)), (.markup(let x), .markup(let y)):
            return PyStr.equal(x, y)
        case (.none, .none): return true
        case (.list(let x), .list(let y)):
            if x === y { return true }
            return try seqEquals(x.items, y.items)
        case (.tuple(let x), .tuple(let y)): return try seqEquals(x, y)
        case (.dict(let x), .dict(let y)):
            if x === y { return true }
            if x.count != y.count { return false }
            for i in 0..<x.count {
                guard let ov = y.get(x.keys[i]) else { return false }
                if !(try equals(x.values[i], ov)) { return false }
            }
            return true
        case (.range(let x), .range(let y)):
            if x.count != y.count { return false }
            if x.count == 0 { return true }
            if x.start != y.start { return false }
            return x.count == 1 || x.step == y.step
        case (.namespace(let x), .namespace(let y)): return x === y
        case (.macro(let x), .macro(let y)): return x === y
        case (.loop(let x), .loop(let y)): return x === y
        case (.iterator(let x), .iterator(let y)): return x === y
        case (.cycler(let x), .cycler(let y)): return x === y
        case (.joiner(let x), .joiner(let y)): return x === y
        case (.builtin(let x), .builtin(let y)): return x == y
        case (.method(let x), .method(let y)): return x === y
        default:
            if let x = number(a), let y = number(b) { return numEquals(x, y) }
            return false
        }
    }

    static func numEquals(_ x: Num, _ y: Num) -> Bool {
        switch (x, y) {
        case (.int(let i), .int(let j)): return i == j
        case (.float(let d), .float(let e)): return d == e
        case (.int(let i), .float(let d)), (.float(let d), .int(let i)): return intFloatCompare(i, d) == 0
        }
    }

    /// Exact comparison of an int and a float (Python compares mathematically). nil for NaN.
    static func intFloatCompare(_ i: Int, _ d: Double) -> Int? {
        if d.isNaN { return nil }
        if d == .infinity { return -1 }
        if d == -.infinity { return 1 }
        let di = Double(i)
        if di < d { return -1 }
        if di > d { return 1 }
        // Same double; compare exactly via the truncated float.
        guard let t = Int(exactly: d.rounded(.towardZero)) else {
            return d > 0 ? -1 : 1
        }
        if i < t { return -1 }
        if i > t { return 1 }
        let frac = d - d.rounded(.towardZero)
        return frac > 0 ? -1 : frac < 0 ? 1 : 0
    }

    static func seqEquals(_ x: [Value], _ y: [Value]) throws(TemplateError) -> Bool {
        if x.count != y.count { return false }
        for i in x.indices where !(try equals(x[i], y[i])) { return false }
        return true
    }

    /// Key equality for dict lookups (hash-compatible: 1 == 1.0 == True).
    static func keyEquals(_ a: Value, _ b: Value) -> Bool {
        (try? equals(a, b)) ?? false
    }

    static func checkHashable(_ v: Value) throws(TemplateError) {
        switch v {
        case .list, .dict: throw .type("unhashable type: '\(v.typeName)'")
        case .tuple(let t): for x in t { try checkHashable(x) }
        case .undefined(let u) where u.strict: throw u.error
        default: break
        }
    }

    // MARK: ordering

    enum Order { case lt, le, gt, ge }

    static func compare(_ op: Order, _ a: Value, _ b: Value) throws(TemplateError) -> Bool {
        if let e = undefinedError(a, b) { throw e }
        if let x = number(a), let y = number(b) {
            switch (x, y) {
            case (.int(let i), .int(let j)): return apply(op, i < j ? -1 : i > j ? 1 : 0)
            case (.float(let d), .float(let e)):
                switch op {
                case .lt: return d < e
                case .le: return d <= e
                case .gt: return d > e
                case .ge: return d >= e
                }
            case (.int(let i), .float(let d)):
                guard let c = intFloatCompare(i, d) else { return false }
                return apply(op, c)
            case (.float(let d), .int(let i)):
                guard let c = intFloatCompare(i, d) else { return false }
                return apply(op, -c)
            }
        }
        switch (a, b) {
        case (.string(let x), .string(let y)), (.string(let x), .markup(let y)),
             (.markup(let x), .string(let y)), (.markup(let x), .markup(let y)):
            let c = x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : (PyStr.equal(x, y) ? 0 : 1)
            return apply(op, c)
        case (.list(let x), .list(let y)): return try seqCompare(op, x.items, y.items)
        case (.tuple(let x), .tuple(let y)): return try seqCompare(op, x, y)
        default:
            let sym: String
            switch op {
            case .lt: sym = "<"
            case .le: sym = "<="
            case .gt: sym = ">"
            case .ge: sym = ">="
            }
            throw .type("'\(sym)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    @inline(__always)
    static func apply(_ op: Order, _ c: Int) -> Bool {
        switch op {
        case .lt: return c < 0
        case .le: return c <= 0
        case .gt: return c > 0
        case .ge: return c >= 0
        }
    }

    static func seqCompare(_ op: Order, _ x: [Value], _ y: [Value]) throws(TemplateError) -> Bool {
        var i = 0
        while i < x.count && i < y.count {
            if !(try equals(x[i], y[i])) { return try compare(op, x[i], y[i]) }
            i += 1
        }
        let c = x.count < y.count ? -1 : x.count > y.count ? 1 : 0
        return apply(op, c)
    }

    /// `a < b` as used by sort/min/max.
    static func less(_ a: Value, _ b: Value) throws(TemplateError) -> Bool {
        try compare(.lt, a, b)
    }

    // MARK: arithmetic

    static func overflow(_ op: String) -> TemplateError {
        .runtime("integer overflow in '\(op)' (only 64-bit integers are supported)")
    }

    static func unsupported(_ op: String, _ a: Value, _ b: Value) -> TemplateError {
        .type("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    static func binary(_ op: BinaryOp, _ a: Value, _ b: Value, limit: Int) throws(TemplateError) -> Value {
        // `'fmt' % x` is handled by str.__mod__ even when x is Undefined.
        if op == .mod, a.stringValue != nil, !a.isUndefined {
            let r = try PyFormat.percent(a.stringValue!, b)
            if case .markup = a { return .markup(r) }
            return .string(r)
        }
        if let e = undefinedError(a, b) { throw e }
        switch op {
        case .add: return try add(a, b)
        case .sub:
            guard let x = number(a), let y = number(b) else { throw unsupported("-", a, b) }
            switch (x, y) {
            case (.int(let i), .int(let j)):
                let (r, o) = i.subtractingReportingOverflow(j)
                if o { throw overflow("-") }
                return .int(r)
            default: return .float(double(x) - double(y))
            }
        case .mul: return try mul(a, b, limit: limit)
        case .div:
            guard let x = number(a), let y = number(b) else { throw unsupported("/", a, b) }
            let dy = double(y)
            if dy == 0 {
                if case .int = x, case .int = y { throw .runtime("division by zero") }
                throw .runtime("float division by zero")
            }
            if case .int(let i) = x, case .int(let j) = y {
                return .float(intTrueDiv(i, j))
            }
            return .float(double(x) / dy)
        case .floordiv:
            guard let x = number(a), let y = number(b) else { throw unsupported("//", a, b) }
            switch (x, y) {
            case (.int(let i), .int(let j)):
                if j == 0 { throw .runtime("integer division or modulo by zero") }
                if i == Int.min && j == -1 { throw overflow("//") }
                return .int(floorDiv(i, j))
            default:
                let (d, _) = try floatDivmod(double(x), double(y), "float floor division by zero")
                return .float(d)
            }
        case .mod:
            if let s = a.stringValue {
                let r = try PyFormat.percent(s, b)
                if case .markup = a { return .markup(r) }
                return .string(r)
            }
            guard let x = number(a), let y = number(b) else { throw unsupported("%", a, b) }
            switch (x, y) {
            case (.int(let i), .int(let j)):
                if j == 0 { throw .runtime("integer modulo by zero") }
                if j == -1 { return .int(0) }
                let r = i % j
                return .int(r != 0 && ((r < 0) != (j < 0)) ? r + j : r)
            default:
                let (_, m) = try floatDivmod(double(x), double(y), "float modulo")
                return .float(m)
            }
        case .pow:
            guard let x = number(a), let y = number(b) else { throw unsupported("** or pow()", a, b) }
            switch (x, y) {
            case (.int(let base), .int(let e)):
                if e < 0 {
                    if base == 0 { throw .runtime("0.0 cannot be raised to a negative power") }
                    return .float(pow(Double(base), Double(e)))
                }
                var result = 1
                var bb = base
                var ee = e
                while ee > 0 {
                    if ee & 1 == 1 {
                        let (r, o) = result.multipliedReportingOverflow(by: bb)
                        if o { throw overflow("**") }
                        result = r
                    }
                    ee >>= 1
                    if ee > 0 {
                        let (r, o) = bb.multipliedReportingOverflow(by: bb)
                        if o { throw overflow("**") }
                        bb = r
                    }
                }
                return .int(result)
            default:
                let fx = double(x), fy = double(y)
                if fx == 0 && fy < 0 { throw .runtime("0.0 cannot be raised to a negative power") }
                if fx < 0 && fy != fy.rounded() && fy.isFinite {
                    throw .runtime("complex results are not supported")
                }
                let r = pow(fx, fy)
                if r.isInfinite && fx.isFinite && fy.isFinite { throw .runtime("(34, 'Numerical result out of range')") }
                return .float(r)
            }
        }
    }

    /// Python int/int true division (correctly rounded for |values| < 2^53, which is all we need).
    static func intTrueDiv(_ i: Int, _ j: Int) -> Double {
        Double(i) / Double(j)
    }

    @inline(__always)
    static func double(_ n: Num) -> Double {
        switch n {
        case .int(let i): return Double(i)
        case .float(let d): return d
        }
    }

    static func floorDiv(_ i: Int, _ j: Int) -> Int {
        let q = i / j
        return (i % j != 0 && ((i < 0) != (j < 0))) ? q - 1 : q
    }

    /// CPython `float_divmod`.
    static func floatDivmod(_ vx: Double, _ wx: Double, _ zeroMessage: String) throws(TemplateError) -> (Double, Double) {
        if wx == 0 { throw .runtime(zeroMessage) }
        var mod = fmod(vx, wx)
        var div = (vx - mod) / wx
        if mod != 0 {
            if (wx < 0) != (mod < 0) {
                mod += wx
                div -= 1.0
            }
        } else {
            mod = copysign(0.0, wx)
        }
        var floordiv: Double
        if div != 0 {
            floordiv = div.rounded(.down)
            if div - floordiv > 0.5 { floordiv += 1.0 }
        } else {
            floordiv = copysign(0.0, vx / wx)
        }
        return (floordiv, mod)
    }

    static func add(_ a: Value, _ b: Value) throws(TemplateError) -> Value {
        if let e = undefinedError(a, b) { throw e }
        switch (a, b) {
        case (.string(let x), .string(let y)): return .string(x + y)
        case (.markup(let x), .string(let y)): return .markup(x + Escape.html(y))
        case (.string(let x), .markup(let y)): return .markup(Escape.html(x) + y)
        case (.markup(let x), .markup(let y)): return .markup(x + y)
        case (.list(let x), .list(let y)): return .list(ListRef(x.items + y.items))
        case (.tuple(let x), .tuple(let y)): return .tuple(x + y)
        case (.string, _), (.markup, _):
            throw .type("can only concatenate str (not \"\(b.typeName)\") to str")
        case (.list, _):
            throw .type("can only concatenate list (not \"\(b.typeName)\") to list")
        case (.tuple, _):
            throw .type("can only concatenate tuple (not \"\(b.typeName)\") to tuple")
        default:
            guard let x = number(a), let y = number(b) else { throw unsupported("+", a, b) }
            switch (x, y) {
            case (.int(let i), .int(let j)):
                let (r, o) = i.addingReportingOverflow(j)
                if o { throw overflow("+") }
                return .int(r)
            default: return .float(double(x) + double(y))
            }
        }
    }

    static func mul(_ a: Value, _ b: Value, limit: Int) throws(TemplateError) -> Value {
        func repeatCount(_ v: Value, _ seq: Value) throws(TemplateError) -> Int {
            guard let n = asIndex(v) else {
                throw .type("can't multiply sequence by non-int of type '\(v.typeName)'")
            }
            return max(0, n)
        }
        func check(_ n: Int, _ unit: Int) throws(TemplateError) {
            if unit > 0 && n > 0 && n > limit / max(unit, 1) { throw .limit("output size limit exceeded by sequence repetition") }
        }
        switch (a, b) {
        case (.string(let s), _), (.markup(let s), _):
            let n = try repeatCount(b, a)
            try check(n, s.utf8.count)
            let r = String(repeating: s, count: n)
            if case .markup = a { return .markup(r) }
            return .string(r)
        case (_, .string), (_, .markup), (_, .list), (_, .tuple):
            if asIndex(a) != nil { return try mul(b, a, limit: limit) }
            throw .type("can't multiply sequence by non-int of type '\(a.typeName)'")
        case (.list(let l), _):
            let n = try repeatCount(b, a)
            try check(n, l.items.count * 8)
            var out: [Value] = []
            out.reserveCapacity(l.items.count * n)
            for _ in 0..<n { out.append(contentsOf: l.items) }
            return .list(ListRef(out))
        case (.tuple(let t), _):
            let n = try repeatCount(b, a)
            try check(n, t.count * 8)
            var out: [Value] = []
            for _ in 0..<n { out.append(contentsOf: t) }
            return .tuple(out)
        default:
            guard let x = number(a), let y = number(b) else { throw unsupported("*", a, b) }
            switch (x, y) {
            case (.int(let i), .int(let j)):
                let (r, o) = i.multipliedReportingOverflow(by: j)
                if o { throw overflow("*") }
                return .int(r)
            default: return .float(double(x) * double(y))
            }
        }
    }

    static func negate(_ v: Value) throws(TemplateError) -> Value {
        switch v {
        case .int(let i):
            if i == Int.min { throw overflow("-") }
            return .int(-i)
        case .bool(let b): return .int(b ? -1 : 0)
        case .float(let d): return .float(-d)
        case .undefined(let u): throw u.error
        default: throw .type("bad operand type for unary -: '\(v.typeName)'")
        }
    }

    static func positive(_ v: Value) throws(TemplateError) -> Value {
        switch v {
        case .int, .float: return v
        case .bool(let b): return .int(b ? 1 : 0)
        case .undefined(let u): throw u.error
        default: throw .type("bad operand type for unary +: '\(v.typeName)'")
        }
    }

    // MARK: containers

    /// Python `item in container`.
    static func contains(_ container: Value, _ item: Value) throws(TemplateError) -> Bool {
        switch container {
        case .string(let s), .markup(let s):
            guard let n = item.stringValue else {
                throw .type("'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return PyStr.contains(s, n)
        case .list(let l):
            for x in l.items where try equals(x, item) { return true }
            return false
        case .tuple(let t):
            for x in t where try equals(x, item) { return true }
            return false
        case .dict(let d):
            try checkHashable(item)
            return d.index(of: item) != nil
        case .range(let r):
            guard let i = asIndex(item) else {
                if case .float(let f) = item, let i = Int(exactly: f) { return rangeContains(r, i) }
                return false
            }
            return rangeContains(r, i)
        case .undefined(let u):
            if u.strict { throw u.error }
            return false
        case .iterator(let it):
            if it.kind == .dictItems || it.kind == .dictKeys { try checkHashable(item) }
            for x in it.take() where try equals(x, item) { return true }
            return false
        default:
            throw .type("argument of type '\(container.typeName)' is not iterable")
        }
    }

    static func rangeContains(_ r: RangeRef, _ i: Int) -> Bool {
        if r.step > 0 { if i < r.start || i >= r.stop { return false } }
        else { if i > r.start || i <= r.stop { return false } }
        return (i - r.start) % r.step == 0
    }

    static let maxMaterialized = 10_000_000

    /// Python `list(iter(value))`.
    static func iterate(_ v: Value) throws(TemplateError) -> [Value] {
        switch v {
        case .list(let l): return l.items
        case .tuple(let t): return t
        case .dict(let d): return d.keys
        case .string(let s), .markup(let s):
            var out: [Value] = []
            out.reserveCapacity(s.utf8.count)
            for c in s.unicodeScalars { out.append(.string(String(c))) }
            return out
        case .range(let r):
            let n = r.count
            if n > maxMaterialized { throw .limit("range too large (\(n) items)") }
            var out: [Value] = []
            out.reserveCapacity(n)
            for i in 0..<n { out.append(.int(r[i])) }
            return out
        case .iterator(let it): return it.take()
        case .undefined(let u):
            if u.strict { throw u.error }
            return []
        case .loop(let l): return l.items
        default:
            throw .type("'\(v.typeName)' object is not iterable")
        }
    }

    /// Python `len(value)`.
    static func length(_ v: Value) throws(TemplateError) -> Int {
        switch v {
        case .string(let s), .markup(let s): return PyStr.len(s)
        case .list(let l): return l.items.count
        case .tuple(let t): return t.count
        case .dict(let d): return d.count
        case .range(let r): return r.count
        case .undefined(let u):
            if u.strict { throw u.error }
            return 0
        case .iterator(let it):
            if let c = it.viewCount { return c }
            throw .type("object of type '\(v.typeName)' has no len()")
        case .loop(let l): return l.length
        default:
            throw .type("object of type '\(v.typeName)' has no len()")
        }
    }
}

/// markupsafe's HTML escaping.
enum Escape {
    static func html(_ s: String) -> String {
        var needs = false
        for b in s.utf8 where b == 38 || b == 60 || b == 62 || b == 34 || b == 39 { needs = true; break }
        if !needs { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
