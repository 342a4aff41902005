/// Runtime values of the interpreter. Mutable Python containers (list, dict,
/// namespace) are reference types so that `x.append(...)`, `ns.attr = ...` and
/// aliasing behave exactly like Python objects. Values never leave a single
/// render call, so they need not be `Sendable`.
enum Value {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// `markupsafe.Markup`: a str subclass marked safe (from `|safe`, `|escape`, `|tojson`).
    case markup(String)
    case list(ListRef)
    case tuple([Value])
    case dict(DictRef)
    case undefined(UndefinedInfo)
    case namespace(NamespaceRef)
    case macro(MacroRef)
    case loop(LoopRef)
    /// Generators, reversed iterators and dict views.
    case iterator(IteratorRef)
    case range(RangeRef)
    case builtin(Builtin)
    case method(BoundMethod)
    case cycler(CyclerRef)
    case joiner(JoinerRef)

    @inline(__always)
    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// The string payload of `str` and `Markup` values.
    @inline(__always)
    var stringValue: String? {
        switch self {
        case .string(let s), .markup(let s): return s
        default: return nil
        }
    }

    /// Python type name, used in error messages.
    var typeName: String {
        switch self {
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .markup: return "Markup"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .undefined(let u): return u.strict ? "StrictUndefined" : "Undefined"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .loop: return "LoopContext"
        case .iterator(let it): return it.kind.typeName
        case .range: return "range"
        case .builtin(let b): return b == .lipsum ? "function" : "type"
        case .method: return "builtin_function_or_method"
        case .cycler: return "Cycler"
        case .joiner: return "Joiner"
        }
    }

    /// Jinja2's `object_type_repr`, used in undefined messages.
    var objectTypeRepr: String {
        switch self {
        case .none: return "None"
        case .undefined(let u): return u.strict ? "jinja2.runtime.StrictUndefined object" : "jinja2.runtime.Undefined object"
        case .namespace: return "jinja2.utils.Namespace object"
        case .macro: return "jinja2.runtime.Macro object"
        case .loop: return "jinja2.runtime.LoopContext object"
        case .markup: return "markupsafe.Markup object"
        case .cycler: return "jinja2.utils.Cycler object"
        case .joiner: return "jinja2.utils.Joiner object"
        default: return "\(typeName) object"
        }
    }
}

/// Python list. Lists coming from the render context start "frozen": they keep the
/// caller's `[TemplateValue]` and are converted element by element only when first
/// needed, so rendering does not pay for converting (and later freeing) data it never
/// touches. Any mutation or whole-list access thaws them into plain storage.
final class ListRef {
    @exclusivity(unchecked) private var storage: [Value]
    @exclusivity(unchecked) private var frozen: [TemplateValue]?

    init(_ items: [Value]) {
        storage = items
        frozen = nil
    }

    init(frozen: [TemplateValue]) {
        storage = []
        self.frozen = frozen
    }

    @inline(__always)
    private func thaw() {
        guard let f = frozen else { return }
        var out: [Value] = []
        out.reserveCapacity(f.count)
        for x in f { out.append(Value(x)) }
        storage = out
        frozen = nil
    }

    var items: [Value] {
        get {
            thaw()
            return storage
        }
        _modify {
            thaw()
            yield &storage
        }
    }

    var count: Int { frozen?.count ?? storage.count }

    /// Element access that avoids thawing for scalar elements.
    func element(_ i: Int) -> Value {
        if let f = frozen {
            if let v = Value(scalar: f[i]) { return v }
            thaw()
        }
        return storage[i]
    }
}

/// Insertion-ordered dictionary with Python key semantics (1 == 1.0 == True).
/// Like `ListRef`, dictionaries from the render context stay frozen until a
/// container value, the key list or a mutation is needed.
final class DictRef {
    @exclusivity(unchecked) private var keyStorage: [Value] = []
    @exclusivity(unchecked) private var valueStorage: [Value] = []
    @exclusivity(unchecked) private var isFrozen = false
    @exclusivity(unchecked) private var frozenKeys: [String] = []
    @exclusivity(unchecked) private var frozenValues: [TemplateValue] = []
    /// Lazily built index for string keys of larger dicts.
    @exclusivity(unchecked) private var stringIndex: [String: Int]? = nil

    init() {}

    init(capacity: Int) {
        keyStorage.reserveCapacity(capacity)
        valueStorage.reserveCapacity(capacity)
    }

    init(keys: [Value], values: [Value]) {
        self.keyStorage = keys
        self.valueStorage = values
    }

    init(frozen: TemplateDictionary) {
        isFrozen = true
        frozenKeys = frozen.keys
        frozenValues = frozen.values
    }

    @inline(__always)
    private func thaw() {
        guard isFrozen else { return }
        var ks: [Value] = []
        var vs: [Value] = []
        ks.reserveCapacity(frozenKeys.count)
        vs.reserveCapacity(frozenKeys.count)
        for i in frozenKeys.indices {
            ks.append(.string(frozenKeys[i]))
            vs.append(Value(frozenValues[i]))
        }
        keyStorage = ks
        valueStorage = vs
        isFrozen = false
        frozenKeys = []
        frozenValues = []
    }

    var keys: [Value] {
        thaw()
        return keyStorage
    }

    var values: [Value] {
        get {
            thaw()
            return valueStorage
        }
        _modify {
            thaw()
            yield &valueStorage
        }
    }

    var count: Int { isFrozen ? frozenKeys.count : keyStorage.count }

    func index(ofString s: String) -> Int? {
        let n = s.utf8.count
        if isFrozen {
            for i in frozenKeys.indices where frozenKeys[i].utf8.count == n && PyStr.equal(frozenKeys[i], s) {
                return i
            }
            return nil
        }
        if keyStorage.count > 12 {
            if stringIndex == nil { rebuildIndex() }
            if let i = stringIndex![s], let k = keyStorage[i].stringValue, PyStr.equal(k, s) { return i }
            // Canonically-equivalent but different strings share a hash slot; fall back.
        }
        for i in keyStorage.indices {
            switch keyStorage[i] {
            case .string(let k), .markup(let k):
                if k.utf8.count == n && PyStr.equal(k, s) { return i }
            default:
                continue
            }
        }
        return nil
    }

    private func rebuildIndex() {
        var idx: [String: Int] = [:]
        idx.reserveCapacity(keyStorage.count)
        for (i, k) in keyStorage.enumerated() {
            if let s = k.stringValue, idx[s] == nil { idx[s] = i }
        }
        stringIndex = idx
    }

    func index(of key: Value) -> Int? {
        if let s = key.stringValue { return index(ofString: s) }
        thaw()
        for i in keyStorage.indices where Ops.keyEquals(keyStorage[i], key) { return i }
        return nil
    }

    func get(_ key: Value) -> Value? {
        guard let i = index(of: key) else { return nil }
        return value(at: i)
    }

    func get(string key: String) -> Value? {
        guard let i = index(ofString: key) else { return nil }
        return value(at: i)
    }

    /// Value access that avoids thawing for scalar values.
    func value(at i: Int) -> Value {
        if isFrozen {
            if let v = Value(scalar: frozenValues[i]) { return v }
            thaw()
        }
        return valueStorage[i]
    }

    func set(_ key: Value, _ value: Value) {
        thaw()
        if let i = index(of: key) {
            valueStorage[i] = value
            return
        }
        keyStorage.append(key)
        valueStorage.append(value)
        if stringIndex != nil, let s = key.stringValue, stringIndex![s] == nil { stringIndex![s] = keyStorage.count - 1 }
    }

    func remove(at i: Int) {
        thaw()
        keyStorage.remove(at: i)
        valueStorage.remove(at: i)
        stringIndex = nil
    }

    func removeAll() {
        isFrozen = false
        frozenKeys = []
        frozenValues = []
        keyStorage.removeAll()
        valueStorage.removeAll()
        stringIndex = nil
    }

    func copy() -> DictRef { DictRef(keys: keys, values: values) }
}

/// `jinja2.utils.Namespace`: attribute bag that `{% set ns.attr = ... %}` may write to.
final class NamespaceRef {
    let attrs: DictRef
    init(_ attrs: DictRef) { self.attrs = attrs }
}

/// Why a value is undefined; only used for the error message and strictness.
final class UndefinedInfo {
    let name: String?
    let hint: String?
    /// `object_type_repr` of the object the lookup failed on, when there was one.
    let owner: String?
    /// Whether the failed lookup was an item (non-string key) lookup.
    let itemKey: String?
    let strict: Bool

    init(name: String? = nil, hint: String? = nil, owner: String? = nil, itemKey: String? = nil, strict: Bool) {
        self.name = name
        self.hint = hint
        self.owner = owner
        self.itemKey = itemKey
        self.strict = strict
    }

    /// Jinja2's `Undefined._undefined_message`.
    var message: String {
        if let hint { return hint }
        if let owner {
            if let itemKey { return "\(owner) has no element \(itemKey)" }
            return "\(PyRepr.string(owner)) has no attribute \(PyRepr.string(name ?? ""))"
        }
        return "\(PyRepr.string(name ?? "")) is undefined"
    }

    var error: TemplateError { .undefined(message) }
}

enum IteratorKind {
    case generator, reversed, dictKeys, dictValues, dictItems

    var typeName: String {
        switch self {
        case .generator: return "generator"
        case .reversed: return "list_reverseiterator"
        case .dictKeys: return "dict_keys"
        case .dictValues: return "dict_values"
        case .dictItems: return "dict_items"
        }
    }

    /// Generators and iterators are consumed by iteration; dict views are not.
    var singleUse: Bool {
        switch self {
        case .generator, .reversed: return true
        default: return false
        }
    }
}

final class IteratorRef {
    let kind: IteratorKind
    private var items: [Value]
    private var consumed = false
    init(_ kind: IteratorKind, _ items: [Value]) {
        self.kind = kind
        self.items = items
    }

    /// Returns the remaining items; single-use iterators are exhausted afterwards.
    func take() -> [Value] {
        if consumed { return [] }
        if kind.singleUse { consumed = true }
        return items
    }

    /// Dict views have a length and a truth value; generators are always truthy.
    var viewCount: Int? { kind.singleUse ? nil : items.count }
}

final class RangeRef {
    let start: Int, stop: Int, step: Int
    init(_ start: Int, _ stop: Int, _ step: Int) {
        self.start = start
        self.stop = stop
        self.step = step
    }

    var count: Int {
        if step > 0 { return start < stop ? (stop - start - 1) / step + 1 : 0 }
        return start > stop ? (start - stop - 1) / (-step) + 1 : 0
    }

    subscript(i: Int) -> Int { start + i * step }
}

enum Builtin {
    case range, dict, namespace, cycler, joiner, lipsum
}

final class BoundMethod {
    let receiver: Value
    let name: String
    init(_ receiver: Value, _ name: String) {
        self.receiver = receiver
        self.name = name
    }
}

final class CyclerRef {
    let items: [Value]
    var pos = 0
    init(_ items: [Value]) { self.items = items }
}

final class JoinerRef {
    let sep: String
    var used = false
    init(_ sep: String) { self.sep = sep }
}
