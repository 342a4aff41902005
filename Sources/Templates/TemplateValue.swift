/// Context values passed to `Template.render`. Dictionaries keep insertion order,
/// like Python dicts, because Jinja2 output (iteration, `tojson`, printing) depends on it.
public enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    case dictionary(TemplateDictionary)
}

/// Insertion-ordered string-keyed dictionary.
public struct TemplateDictionary: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var keys: [String] = []
    public private(set) var values: [TemplateValue] = []

    public init() {}

    public init(_ pairs: [(String, TemplateValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self.init(elements)
    }

    public var count: Int { keys.count }

    public subscript(key: String) -> TemplateValue? {
        get { keys.firstIndex(of: key).map { values[$0] } }
        set {
            if let i = keys.firstIndex(of: key) {
                if let newValue { values[i] = newValue } else { keys.remove(at: i); values.remove(at: i) }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    public func makeIterator() -> AnyIterator<(key: String, value: TemplateValue)> {
        var i = 0
        return AnyIterator {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (keys[i], values[i])
        }
    }

    /// Order-insensitive, like Python dict equality.
    public static func == (a: TemplateDictionary, b: TemplateDictionary) -> Bool {
        guard a.count == b.count else { return false }
        for (k, v) in a where b[k] != v { return false }
        return true
    }
}

extension TemplateValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .dictionary(TemplateDictionary(elements)) }
}

extension TemplateValue {
    /// Converts JSON-like Swift values (`Bool`, integers, `Double`, `String`, arrays,
    /// `[String: Any]`, `NSNull`/nil, and Foundation's `NSNumber`). Unordered
    /// dictionaries are sorted by key to stay deterministic; use `init(json:)` to
    /// preserve the document's key order.
    public init?(any: Any?) {
        guard let any else { self = .null; return }
        switch any {
        case let v as TemplateValue: self = v
        case let v as Bool where type(of: any) == Bool.self: self = .bool(v)
        case let v as String: self = .string(v)
        case let v as Substring: self = .string(String(v))
        case let v as Int: self = .int(v)
        case let v as Int64: self = .int(Int(v))
        case let v as Int32: self = .int(Int(v))
        case let v as UInt: self = .int(Int(v))
        case let v as Double: self = .double(v)
        case let v as Float: self = .double(Double(v))
        case let v as [Any?]:
            var items: [TemplateValue] = []
            for x in v {
                guard let t = TemplateValue(any: x) else { return nil }
                items.append(t)
            }
            self = .array(items)
        case let v as [String: Any?]:
            var d = TemplateDictionary()
            for k in v.keys.sorted() {
                guard let t = TemplateValue(any: v[k]!) else { return nil }
                d[k] = t
            }
            self = .dictionary(d)
        default:
            if let v = FoundationBridge.convert(any) { self = v; return }
            return nil
        }
    }

    /// Parses a JSON document (object key order preserved; integers without a
    /// fraction or exponent become `.int`, like Python's `json.loads`).
    public init(json: String) throws {
        var p = JSONParser(Array(json.utf8))
        self = try p.parseDocument()
    }
}

extension Value {
    /// Converts a context value into the interpreter's representation. Containers are
    /// wrapped lazily (see `ListRef` / `DictRef`), so this is O(1).
    init(_ tv: TemplateValue) {
        switch tv {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .float(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(ListRef(frozen: a))
        case .dictionary(let d): self = .dict(DictRef(frozen: d))
        }
    }

    /// Scalars convert without allocation; nil for containers.
    @inline(__always)
    init?(scalar tv: TemplateValue) {
        switch tv {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .float(d)
        case .string(let s): self = .string(s)
        case .array, .dictionary: return nil
        }
    }
}
