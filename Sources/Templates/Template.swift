/// Rendering options; the first four mirror the Jinja2 `Environment` flags.
public struct TemplateOptions: Sendable, Equatable {
    /// Jinja2 `StrictUndefined`: printing, iterating or testing an undefined value raises.
    public var strictUndefined = false
    /// Remove the first newline after a block tag.
    public var trimBlocks = false
    /// Strip tabs and spaces from the start of a line up to a block tag.
    public var lstripBlocks = false
    /// Keep a single trailing newline at the end of the template.
    public var keepTrailingNewline = false
    /// Guard against runaway templates: maximum rendered size in bytes.
    public var maxOutputSize = 64 << 20
    /// Guard against runaway recursion: maximum nesting of macro calls and recursive loops.
    public var maxRecursionDepth = 200

    public init(strictUndefined: Bool = false, trimBlocks: Bool = false, lstripBlocks: Bool = false,
                keepTrailingNewline: Bool = false) {
        self.strictUndefined = strictUndefined
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
        self.keepTrailingNewline = keepTrailingNewline
    }
}

/// A Jinja2 template compiled once and rendered any number of times, concurrently if needed.
///
///     let t = try Template("Hello {{ name }}!")
///     let s = try t.render(["name": "world"])
public struct Template: Sendable {
    let compiled: CompiledTemplate

    /// Parses and validates the template. Syntax errors (including unknown filters and
    /// tests, which Jinja2 rejects at compile time) are thrown here with line and column.
    public init(_ source: String, name: String = "<template>", options: TemplateOptions = .init()) throws(TemplateError) {
        let bytes = Lexer.normalize(source, keepTrailingNewline: options.keepTrailingNewline)
        do {
            var lexer = Lexer(source: bytes, options: options)
            var parser = Parser(tokens: try lexer.tokenize())
            let body = try parser.parseTemplate()
            compiled = CompiledTemplate(body: body, names: parser.names, options: options, name: name, source: bytes)
        } catch {
            throw Template.locate(error, name: name, source: bytes)
        }
    }

    /// Renders with the given context. Runtime failures throw `TemplateError` with the
    /// location of the statement or `{{ }}` expression that failed.
    public func render(_ context: [String: TemplateValue] = [:]) throws(TemplateError) -> String {
        let r = Renderer(compiled, context)
        do {
            return try r.run()
        } catch {
            throw Template.locate(error, name: compiled.name, source: compiled.source)
        }
    }

    /// The template name given at construction.
    public var name: String { compiled.name }

    static func locate(_ error: TemplateError, name: String, source: [UInt8]) -> TemplateError {
        var e = error
        e.templateName = name
        if e.sourceOffset >= 0 {
            var line = 1
            var col = 1
            let end = min(e.sourceOffset, source.count)
            var i = 0
            while i < end {
                let b = source[i]
                if b == 10 { line += 1; col = 1 } else if (b & 0xC0) != 0x80 { col += 1 }
                i += 1
            }
            e.line = line
            e.column = col
            e.sourceOffset = -1
        }
        return e
    }
}
