/// Jinja2's builtin tests (`x is defined`, `x is divisibleby 3`, ...), jinja2/tests.py.
enum TestID: String, Sendable {
    case odd, even, divisibleby, defined, undefined, filter, test, none, boolean, `false`, `true`
    case integer, float, lower, upper, string, mapping, number, sequence, iterable, callable
    case sameas, escaped, `in`
    case eqSym = "==", eq, equalto, neSym = "!=", ne, gtSym = ">", gt, greaterthan
    case ge, geSym = ">=", ltSym = "<", lt, lessthan, leSym = "<=", le
}

extension Renderer {
    func applyTest(_ tc: TestCall, _ value: Value, _ scope: Scope) throws(TemplateError) -> Bool {
        guard let id = tc.id else { throw .runtime("No test named '\(tc.name)' found.") }
        let (args, kw) = try evalArgs(tc.args, scope)
        return try test(id, tc.name, value, args, kw)
    }

    private func one(_ name: String, _ args: [Value], _ kw: [KwArg], _ param: String) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, param, required: 1)
        return a[0]!
    }

    func test(_ id: TestID, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Bool {
        switch id {
        case .defined: return !value.isUndefined
        case .undefined: return value.isUndefined
        case .none: return value.isNoneValue
        case .boolean:
            if case .bool = value { return true }
            return false
        case .true:
            if case .bool(true) = value { return true }
            return false
        case .false:
            if case .bool(false) = value { return true }
            return false
        case .integer:
            if case .int = value { return true }
            return false
        case .float:
            if case .float = value { return true }
            return false
        case .number:
            switch value {
            case .int, .float, .bool: return true
            default: return false
            }
        case .string:
            return value.stringValue != nil
        case .mapping:
            if case .dict = value { return true }
            return false
        case .sequence:
            switch value {
            case .string, .markup, .list, .tuple, .dict, .range: return true
            case .undefined(let u): return !u.strict
            default: return false
            }
        case .iterable:
            switch value {
            case .string, .markup, .list, .tuple, .dict, .range, .iterator, .loop: return true
            case .undefined(let u):
                if u.strict { throw u.error }
                return true
            default: return false
            }
        case .callable:
            switch value {
            case .macro, .builtin, .method, .loop, .joiner, .undefined: return true
            default: return false
            }
        case .odd, .even:
            let r = try Ops.binary(.mod, value, .int(2), limit: maxOutput)
            return try Ops.equals(r, .int(id == .even ? 0 : 1))
        case .divisibleby:
            let n = try one(name, args, kw, "num")
            return try Ops.equals(try Ops.binary(.mod, value, n, limit: maxOutput), .int(0))
        case .lower: return PyStr.isLower(try value.str())
        case .upper: return PyStr.isUpper(try value.str())
        case .eq, .eqSym, .equalto: return try Ops.equals(value, try one(name, args, kw, "b"))
        case .ne, .neSym: return !(try Ops.equals(value, try one(name, args, kw, "b")))
        case .gt, .gtSym, .greaterthan: return try Ops.compare(.gt, value, try one(name, args, kw, "b"))
        case .ge, .geSym: return try Ops.compare(.ge, value, try one(name, args, kw, "b"))
        case .lt, .ltSym, .lessthan: return try Ops.compare(.lt, value, try one(name, args, kw, "b"))
        case .le, .leSym: return try Ops.compare(.le, value, try one(name, args, kw, "b"))
        case .in: return try Ops.contains(try one(name, args, kw, "seq"), value)
        case .sameas:
            let other = try one(name, args, kw, "other")
            return identical(value, other)
        case .escaped:
            if case .markup = value { return true }
            return false
        case .filter:
            guard let n = value.stringValue else { return false }
            return Filters.table[n] != nil
        case .test:
            guard let n = value.stringValue else { return false }
            return TestID(rawValue: n) != nil
        }
    }

    /// Python `is`: singletons, CPython's small-int cache, and object identity.
    func identical(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y && x >= -5 && x <= 256
        case (.list(let x), .list(let y)): return x === y
        case (.dict(let x), .dict(let y)): return x === y
        case (.namespace(let x), .namespace(let y)): return x === y
        case (.macro(let x), .macro(let y)): return x === y
        case (.loop(let x), .loop(let y)): return x === y
        case (.iterator(let x), .iterator(let y)): return x === y
        case (.builtin(let x), .builtin(let y)): return x == y
        case (.string(let x), .string(let y)): return x.isEmpty && y.isEmpty || (PyStr.len(x) == 1 && x == y && x.unicodeScalars.first!.value < 128)
        default: return false
        }
    }
}
