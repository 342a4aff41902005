/// Python methods callable from templates on str, list, dict and friends
/// (`message.content.strip()`, `d.items()`, `ns.list.append(x)` ...), plus the
/// global functions of Jinja2's default namespace (range, dict, namespace, ...).
enum Methods {
    static let strMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "swapcase", "casefold",
        "startswith", "endswith", "split", "rsplit", "splitlines", "replace", "find", "rfind", "index",
        "rindex", "count", "join", "format", "isdigit", "isalpha", "isalnum", "isspace", "islower",
        "isupper", "isnumeric", "isdecimal", "istitle", "zfill", "center", "ljust", "rjust",
        "removeprefix", "removesuffix", "partition", "rpartition",
    ]
    static let listMethods: Set<String> = [
        "append", "extend", "pop", "insert", "remove", "index", "count", "reverse", "sort", "copy", "clear",
    ]
    static let dictMethods: Set<String> = [
        "items", "keys", "values", "get", "pop", "setdefault", "update", "copy", "clear", "popitem",
    ]
    /// str methods that markupsafe re-wraps as Markup.
    static let markupPreserving: Set<String> = [
        "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "swapcase", "casefold",
        "replace", "zfill", "center", "ljust", "rjust", "removeprefix", "removesuffix",
    ]

    static func isDictMethod(_ name: String) -> Bool {
        // Dispatch on length first: failed String comparisons are comparatively slow,
        // and this runs for every `message.content`-style attribute access.
        switch name.utf8.count {
        case 3: return name == "get" || name == "pop"
        case 4: return name == "keys" || name == "copy"
        case 5: return name == "items" || name == "clear"
        case 6: return name == "values" || name == "update"
        case 7: return name == "popitem"
        case 10: return name == "setdefault"
        default: return false
        }
    }

    static func has(_ obj: Value, _ name: String) -> Bool {
        switch obj {
        case .string, .markup: return strMethods.contains(name)
        case .list: return listMethods.contains(name)
        case .dict: return dictMethods.contains(name)
        case .tuple: return name == "count" || name == "index"
        default: return false
        }
    }
}

/// A keyword argument of a call (`f(x=1)`).
struct KwArg {
    var name: String
    var value: Value
}

/// Up to four bound arguments, stored inline (no heap allocation on the hot path).
struct BoundArgs {
    private var storage: (Value?, Value?, Value?, Value?) = (nil, nil, nil, nil)

    subscript(i: Int) -> Value? {
        get {
            switch i {
            case 0: return storage.0
            case 1: return storage.1
            case 2: return storage.2
            default: return storage.3
            }
        }
        set {
            switch i {
            case 0: storage.0 = newValue
            case 1: storage.1 = newValue
            case 2: storage.2 = newValue
            default: storage.3 = newValue
            }
        }
    }
}

/// Binds Python-style call arguments to the comma separated parameter names in
/// `params` (at most four); a nil slot means "not given, use the default".
func bindArgs(_ fname: String, _ args: [Value], _ kwargs: [KwArg], _ params: String,
              required: Int = 0) throws(TemplateError) -> BoundArgs {
    var out = BoundArgs()
    var count = params.isEmpty ? 0 : 1
    for b in params.utf8 where b == UInt8(ascii: ",") { count += 1 }
    if args.count > count {
        throw .type("\(fname)() takes at most \(count) positional argument(s) (\(args.count) given)")
    }
    for i in args.indices { out[i] = args[i] }
    if !kwargs.isEmpty {
        let names = params.split(separator: ",").map(String.init)
        for a in kwargs {
            let (k, v) = (a.name, a.value)
            guard let i = names.firstIndex(of: k) else {
                throw .type("\(fname)() got an unexpected keyword argument '\(k)'")
            }
            if out[i] != nil { throw .type("\(fname)() got multiple values for argument '\(k)'") }
            out[i] = v
        }
    }
    for i in 0..<required where out[i] == nil {
        let names = params.split(separator: ",").map(String.init)
        throw .type("\(fname)() missing required argument: '\(names[i])'")
    }
    return out
}

extension Renderer {
    func intArg(_ v: Value?, _ what: String, default d: Int) throws(TemplateError) -> Int {
        guard let v else { return d }
        if let i = Ops.asIndex(v) { return i }
        if case .none = v { return d }
        if case .undefined(let u) = v { throw u.error }
        throw .type("'\(v.typeName)' object cannot be interpreted as an integer")
    }

    func strArg(_ v: Value?, _ what: String) throws(TemplateError) -> String? {
        guard let v else { return nil }
        if case .none = v { return nil }
        if let s = v.stringValue { return s }
        if case .undefined(let u) = v { throw u.error }
        throw .type("\(what) arg must be None or str")
    }

    /// Dispatches a method call; nil if `obj` has no such method.
    func callMethod(_ obj: Value, _ name: String, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value? {
        switch obj {
        case .string(let s):
            guard Methods.strMethods.contains(name) else { return nil }
            return try checkSize(try strMethod(s, name, args, kw, markup: false))
        case .markup(let s):
            guard Methods.strMethods.contains(name) else { return nil }
            return try checkSize(try strMethod(s, name, args, kw, markup: true))
        case .list(let l):
            guard Methods.listMethods.contains(name) else { return nil }
            return try listMethod(l, name, args, kw)
        case .dict(let d):
            guard Methods.dictMethods.contains(name) else { return nil }
            return try dictMethod(d, name, args, kw)
        case .tuple(let t):
            return try seqMethod(t, name, args, "tuple")
        case .range(let r):
            guard name == "count" || name == "index" else { return nil }
            return try seqMethod(try Ops.iterate(.range(r)), name, args, "range")
        case .loop(let l):
            switch name {
            case "cycle":
                if args.isEmpty { throw .type("no items for cycling given") }
                return args[l.index0 % args.count]
            case "changed":
                if let last = l.lastChanged, try Ops.seqEquals(last, args) { return .bool(false) }
                l.lastChanged = args
                return .bool(true)
            default: return nil
            }
        case .cycler(let c):
            switch name {
            case "next":
                guard !c.items.isEmpty else { throw .runtime("tuple index out of range") }
                let v = c.items[c.pos]
                c.pos = (c.pos + 1) % c.items.count
                return v
            case "reset":
                c.pos = 0
                return Value.none
            default: return nil
            }
        default:
            return nil
        }
    }

    private func seqMethod(_ items: [Value], _ name: String, _ args: [Value], _ type: String) throws(TemplateError) -> Value? {
        switch name {
        case "count":
            guard args.count == 1 else { throw .type("count() takes exactly one argument (\(args.count) given)") }
            var c = 0
            for x in items where try Ops.equals(x, args[0]) { c += 1 }
            return .int(c)
        case "index":
            guard args.count >= 1 else { throw .type("index expected at least 1 argument, got 0") }
            for (i, x) in items.enumerated() where try Ops.equals(x, args[0]) { return .int(i) }
            throw .runtime("\(type).index(x): x not in \(type)")
        default: return nil
        }
    }

    private func strMethod(_ s: String, _ name: String, _ args: [Value], _ kw: [KwArg], markup: Bool) throws(TemplateError) -> Value {
        var r = try strMethodImpl(s, name, args, kw, markup: markup)
        if markup, Methods.markupPreserving.contains(name), case .string(let x) = r { r = .markup(x) }
        return r
    }

    private func strMethodImpl(_ s: String, _ name: String, _ args: [Value], _ kw: [KwArg], markup: Bool) throws(TemplateError) -> Value {
        switch name {
        case "strip", "lstrip", "rstrip":
            let a = try bindArgs(name, args, kw, "chars")
            let chars = try strArg(a[0], name)
            return .string(PyStr.strip(s, chars: chars, left: name != "rstrip", right: name != "lstrip"))
        case "upper": return .string(PyStr.upper(s))
        case "lower", "casefold": return .string(PyStr.lower(s))
        case "title": return .string(PyStr.title(s))
        case "capitalize": return .string(PyStr.capitalize(s))
        case "swapcase": return .string(PyStr.swapcase(s))
        case "startswith", "endswith":
            let a = try bindArgs(name, args, [], "prefix,start,end", required: 1)
            var target = s
            if a[1] != nil || a[2] != nil {
                let sc = Array(s.unicodeScalars)
                let st = try a[1].map { v throws(TemplateError) in try intArg(v, name, default: 0) }
                let en = try a[2].map { v throws(TemplateError) in try intArg(v, name, default: sc.count) }
                let (b, e) = PyStr.sliceBounds(count: sc.count, start: st, stop: en, step: 1)
                target = b < e ? PyStr.make(sc[b..<e]) : ""
                if b > sc.count { return .bool(false) }
            }
            var candidates: [String] = []
            switch a[0]! {
            case .string(let p), .markup(let p): candidates = [p]
            case .tuple(let t):
                for x in t {
                    guard let p = x.stringValue else { throw .type("tuple for \(name) must only contain str, not \(x.typeName)") }
                    candidates.append(p)
                }
            default:
                throw .type("\(name) first arg must be str or a tuple of str, not \(a[0]!.typeName)")
            }
            for p in candidates where name == "startswith" ? PyStr.hasPrefix(target, p) : PyStr.hasSuffix(target, p) {
                return .bool(true)
            }
            return .bool(false)
        case "split", "rsplit":
            let a = try bindArgs(name, args, kw, "sep,maxsplit")
            let sep = try strArg(a[0], name)
            if let sep, sep.isEmpty { throw .runtime("empty separator") }
            let maxsplit = try intArg(a[1], name, default: -1)
            let parts = name == "split" ? PyStr.split(s, sep: sep, maxsplit: maxsplit) : PyStr.rsplit(s, sep: sep, maxsplit: maxsplit)
            return .list(ListRef(parts.map { markup ? .markup($0) : .string($0) }))
        case "splitlines":
            let a = try bindArgs(name, args, kw, "keepends")
            let keep = try a[0].map { v throws(TemplateError) in try Ops.truthy(v) } ?? false
            return .list(ListRef(PyStr.splitlines(s, keepends: keep).map { markup ? .markup($0) : .string($0) }))
        case "replace":
            let a = try bindArgs(name, args, kw, "old,new,count", required: 2)
            guard let old = a[0]!.stringValue else { throw .type("replace() argument 1 must be str, not \(a[0]!.typeName)") }
            guard var new = a[1]!.stringValue else { throw .type("replace() argument 2 must be str, not \(a[1]!.typeName)") }
            if markup, case .string = a[1]! { new = Escape.html(new) }
            let count = try intArg(a[2], name, default: -1)
            try checkSize(replacedSize(s, old, new, count: count))
            return .string(PyStr.replace(s, old, new, count: count))
        case "find", "rfind", "index", "rindex", "count":
            let a = try bindArgs(name, args, [], "sub,start,end", required: 1)
            guard let sub = a[0]!.stringValue else { throw .type("must be str, not \(a[0]!.typeName)") }
            let sc = Array(s.unicodeScalars)
            let st = try a[1].map { v throws(TemplateError) in try intArg(v, name, default: 0) }
            let en = try a[2].map { v throws(TemplateError) in try intArg(v, name, default: sc.count) }
            let (b, e) = PyStr.sliceBounds(count: sc.count, start: st, stop: en, step: 1)
            if name == "count" {
                if b > e { return .int(0) }
                return .int(PyStr.count(PyStr.make(sc[b..<max(b, e)]), sub))
            }
            let r = b > e ? -1 : PyStr.find(sc, Array(sub.unicodeScalars), start: b, end: e, reverse: name.hasPrefix("r"))
            if r < 0 && (name == "index" || name == "rindex") { throw .runtime("substring not found") }
            return .int(r)
        case "join":
            guard args.count == 1 else { throw .type("join() takes exactly one argument (\(args.count) given)") }
            var parts: [String] = []
            for (i, x) in try Ops.iterate(args[0]).enumerated() {
                guard var p = x.stringValue else {
                    throw .type("sequence item \(i): expected str instance, \(x.typeName) found")
                }
                if markup, case .string = x { p = Escape.html(p) }
                parts.append(p)
            }
            try checkSize(joinedSize(parts, separator: s))
            let r = parts.joined(separator: s)
            return markup ? .markup(r) : .string(r)
        case "format":
            let r = try PyStrFormat.format(s, args, kw, self)
            return markup ? .markup(r) : .string(r)
        case "isdigit": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(PyChar.isDigit))
        case "isdecimal": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(PyChar.isDecimal))
        case "isnumeric": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(PyChar.isNumeric))
        case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(PyChar.isAlpha))
        case "isalnum": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { PyChar.isAlpha($0) || PyChar.isNumeric($0) })
        case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(PyChar.isSpace))
        case "islower": return .bool(PyStr.isLower(s))
        case "isupper": return .bool(PyStr.isUpper(s))
        case "istitle": return .bool(!s.isEmpty && PyStr.title(s) == s && s.unicodeScalars.contains(where: PyChar.isCased))
        case "zfill":
            let a = try bindArgs(name, args, kw, "width", required: 1)
            let w = try intArg(a[0], name, default: 0)
            try checkSize(w)
            let n = PyStr.len(s)
            if w <= n { return .string(s) }
            var sc = Array(s.unicodeScalars)
            var sign: [Unicode.Scalar] = []
            if let f = sc.first, f == "+" || f == "-" { sign = [f]; sc.removeFirst() }
            return .string(PyStr.make(sign + Array(repeating: "0", count: w - n) + sc))
        case "center", "ljust", "rjust":
            let a = try bindArgs(name, args, [], "width,fillchar", required: 1)
            let w = try intArg(a[0], name, default: 0)
            try checkSize(w)
            var fill: Unicode.Scalar = " "
            if let f = a[1] {
                guard let fs = f.stringValue, PyStr.len(fs) == 1 else {
                    throw .type("The fill character must be exactly one character long")
                }
                fill = fs.unicodeScalars.first!
            }
            switch name {
            case "center": return .string(PyStr.center(s, w, fill: fill))
            case "ljust": return .string(PyStr.ljust(s, w, fill: fill))
            default: return .string(PyStr.rjust(s, w, fill: fill))
            }
        case "removeprefix", "removesuffix":
            guard args.count == 1, let p = args[0].stringValue else { throw .type("\(name)() argument must be str") }
            if name == "removeprefix" {
                return .string(PyStr.hasPrefix(s, p) ? String(decoding: s.utf8.dropFirst(p.utf8.count), as: UTF8.self) : s)
            }
            return .string(PyStr.hasSuffix(s, p) ? String(decoding: s.utf8.dropLast(p.utf8.count), as: UTF8.self) : s)
        case "partition", "rpartition":
            guard args.count == 1, let sep = args[0].stringValue else { throw .type("must be str") }
            if sep.isEmpty { throw .runtime("empty separator") }
            let sc = Array(s.unicodeScalars)
            let i = PyStr.find(sc, Array(sep.unicodeScalars), reverse: name == "rpartition")
            let wrap: (String) -> Value = { markup ? .markup($0) : .string($0) }
            if i < 0 {
                return name == "partition" ? .tuple([wrap(s), wrap(""), wrap("")]) : .tuple([wrap(""), wrap(""), wrap(s)])
            }
            let sepLen = sep.unicodeScalars.count
            return .tuple([wrap(PyStr.make(sc[0..<i])), wrap(sep), wrap(PyStr.make(sc[(i + sepLen)...]))])
        default:
            throw .runtime("str.\(name) is not supported")
        }
    }

    private func listMethod(_ l: ListRef, _ name: String, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        switch name {
        case "append":
            guard args.count == 1, kw.isEmpty else { throw .type("list.append() takes exactly one argument (\(args.count) given)") }
            l.items.append(args[0])
            return .none
        case "extend":
            guard args.count == 1 else { throw .type("list.extend() takes exactly one argument (\(args.count) given)") }
            l.items.append(contentsOf: try Ops.iterate(args[0]))
            return .none
        case "pop":
            if l.items.isEmpty { throw .runtime("pop from empty list") }
            let i = args.isEmpty ? l.items.count - 1 : try intArg(args[0], name, default: -1)
            let j = i < 0 ? i + l.items.count : i
            guard j >= 0 && j < l.items.count else { throw .runtime("pop index out of range") }
            return l.items.remove(at: j)
        case "insert":
            guard args.count == 2 else { throw .type("insert expected 2 arguments, got \(args.count)") }
            let i = try intArg(args[0], name, default: 0)
            let n = l.items.count
            let j = i < 0 ? max(0, i + n) : min(i, n)
            l.items.insert(args[1], at: j)
            return .none
        case "remove":
            guard args.count == 1 else { throw .type("list.remove() takes exactly one argument (\(args.count) given)") }
            for (i, x) in l.items.enumerated() where try Ops.equals(x, args[0]) {
                l.items.remove(at: i)
                return .none
            }
            throw .runtime("list.remove(x): x not in list")
        case "index", "count":
            return try seqMethod(l.items, name, args, "list")!
        case "reverse":
            l.items.reverse()
            return .none
        case "sort":
            let a = try bindArgs("sort", [], kw, "key,reverse")
            if a[0] != nil, case .none = a[0]! {} else if a[0] != nil { throw .runtime("list.sort(key=...) is not supported") }
            let rev = try a[1].map { v throws(TemplateError) in try Ops.truthy(v) } ?? false
            l.items = try Sorting.sorted(l.items, reverse: rev) { x throws(TemplateError) in x }
            return .none
        case "copy":
            return .list(ListRef(l.items))
        case "clear":
            l.items.removeAll()
            return .none
        default:
            throw .runtime("list.\(name) is not supported")
        }
    }

    private func dictMethod(_ d: DictRef, _ name: String, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        switch name {
        case "items":
            guard args.isEmpty else { throw .type("dict.items() takes no arguments (\(args.count) given)") }
            var items: [Value] = []
            items.reserveCapacity(d.count)
            for i in 0..<d.count { items.append(.tuple([d.keys[i], d.values[i]])) }
            return .iterator(IteratorRef(.dictItems, items))
        case "keys":
            return .iterator(IteratorRef(.dictKeys, d.keys))
        case "values":
            return .iterator(IteratorRef(.dictValues, d.values))
        case "get":
            guard args.count >= 1 && args.count <= 2 else { throw .type("get expected at most 2 arguments, got \(args.count)") }
            try Ops.checkHashable(args[0])
            return d.get(args[0]) ?? (args.count > 1 ? args[1] : .none)
        case "pop":
            guard args.count >= 1 && args.count <= 2 else { throw .type("pop expected at most 2 arguments, got \(args.count)") }
            try Ops.checkHashable(args[0])
            if let i = d.index(of: args[0]) {
                let v = d.values[i]
                d.remove(at: i)
                return v
            }
            if args.count > 1 { return args[1] }
            throw .runtime("KeyError: \(args[0].repr())")
        case "setdefault":
            guard args.count >= 1 && args.count <= 2 else { throw .type("setdefault expected at most 2 arguments, got \(args.count)") }
            try Ops.checkHashable(args[0])
            if let v = d.get(args[0]) { return v }
            let v = args.count > 1 ? args[1] : .none
            d.set(args[0], v)
            return v
        case "update":
            if let other = args.first {
                switch other {
                case .dict(let o): for i in 0..<o.count { d.set(o.keys[i], o.values[i]) }
                default:
                    for pair in try Ops.iterate(other) {
                        let kv = try Ops.iterate(pair)
                        guard kv.count == 2 else { throw .runtime("dictionary update sequence element has wrong length") }
                        try Ops.checkHashable(kv[0])
                        d.set(kv[0], kv[1])
                    }
                }
            }
            for a in kw { d.set(.string(a.name), a.value) }
            return .none
        case "copy":
            return .dict(d.copy())
        case "clear":
            d.removeAll()
            return .none
        case "popitem":
            guard d.count > 0 else { throw .runtime("popitem(): dictionary is empty") }
            let i = d.count - 1
            let r = Value.tuple([d.keys[i], d.values[i]])
            d.remove(at: i)
            return r
        default:
            throw .runtime("dict.\(name) is not supported")
        }
    }

    // MARK: globals

    func callBuiltin(_ b: Builtin, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        switch b {
        case .range:
            if !kw.isEmpty { throw .type("range() takes no keyword arguments") }
            var ints: [Int] = []
            for a in args {
                guard let i = Ops.asIndex(a) else {
                    if case .undefined(let u) = a { throw u.error }
                    throw .type("'\(a.typeName)' object cannot be interpreted as an integer")
                }
                ints.append(i)
            }
            switch ints.count {
            case 1: return .range(RangeRef(0, ints[0], 1))
            case 2: return .range(RangeRef(ints[0], ints[1], 1))
            case 3:
                if ints[2] == 0 { throw .runtime("range() arg 3 must not be zero") }
                return .range(RangeRef(ints[0], ints[1], ints[2]))
            default:
                throw .type(ints.isEmpty ? "range expected at least 1 argument, got 0" : "range expected at most 3 arguments, got \(ints.count)")
            }
        case .dict, .namespace:
            let d = DictRef(capacity: kw.count)
            if args.count > 1 { throw .type("dict expected at most 1 argument, got \(args.count)") }
            if let a = args.first {
                switch a {
                case .dict(let o): for i in 0..<o.count { d.set(o.keys[i], o.values[i]) }
                case .namespace: throw .type("'Namespace' object is not iterable")
                default:
                    for pair in try Ops.iterate(a) {
                        let kv: [Value]
                        switch pair {
                        case .list, .tuple, .string, .markup: kv = try Ops.iterate(pair)
                        default: throw .type("cannot convert dictionary update sequence element #0 to a sequence")
                        }
                        guard kv.count == 2 else {
                            throw .runtime("dictionary update sequence element #0 has length \(kv.count); 2 is required")
                        }
                        try Ops.checkHashable(kv[0])
                        d.set(kv[0], kv[1])
                    }
                }
            }
            for a in kw { d.set(.string(a.name), a.value) }
            return b == .dict ? .dict(d) : .namespace(NamespaceRef(d))
        case .cycler:
            return .cycler(CyclerRef(args))
        case .joiner:
            let a = try bindArgs("joiner", args, kw, "sep")
            return .joiner(JoinerRef(try a[0].map { v throws(TemplateError) in try v.str() } ?? ", "))
        case .lipsum:
            throw .runtime("lipsum() is not supported (its output is random)")
        }
    }
}
