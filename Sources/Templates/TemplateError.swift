/// The single error type thrown by parsing and rendering.
///
/// `kind` mirrors the exception families of Python Jinja2 so callers (and the
/// differential tests) can tell a template bug (`syntax`) from a data problem
/// (`undefined`, `type`) or a resource guard (`limit`).
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// Rejected while compiling (Jinja2 `TemplateSyntaxError` / `TemplateAssertionError`).
        case syntax
        /// Use of an undefined value where Jinja2 raises `UndefinedError`.
        case undefined
        /// Operation on the wrong kind of value (Python `TypeError`).
        case type
        /// Any other runtime failure (division by zero, bad filter argument, ...).
        case runtime
        /// A resource guard tripped: recursion depth or output size.
        case limit
    }

    public var kind: Kind
    public var templateName: String
    /// 1-based; 0 when unknown.
    public var line: Int
    /// 1-based, counted in Unicode scalars; 0 when unknown.
    public var column: Int
    public var message: String
    /// Byte offset in the normalized source, set internally until line/column are resolved.
    var sourceOffset: Int = -1

    public init(kind: Kind, message: String, templateName: String = "", line: Int = 0, column: Int = 0) {
        self.kind = kind
        self.message = message
        self.templateName = templateName
        self.line = line
        self.column = column
    }

    public var description: String {
        var s = "\(kind.rawValue) error"
        if !templateName.isEmpty { s += " in \(templateName)" }
        if line > 0 { s += " at line \(line)" + (column > 0 ? ", column \(column)" : "") }
        return s + ": " + message
    }

    // Short constructors used throughout the engine; location is attached later
    // by the renderer (runtime) or the parser (syntax).
    static func syntax(_ message: String, line: Int = 0, column: Int = 0) -> TemplateError {
        TemplateError(kind: .syntax, message: message, line: line, column: column)
    }
    static func undefined(_ message: String) -> TemplateError { TemplateError(kind: .undefined, message: message) }
    static func type(_ message: String) -> TemplateError { TemplateError(kind: .type, message: message) }
    static func runtime(_ message: String) -> TemplateError { TemplateError(kind: .runtime, message: message) }
    static func limit(_ message: String) -> TemplateError { TemplateError(kind: .limit, message: message) }
}
