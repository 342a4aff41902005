/// Operator tokens, named after Jinja2's token types so parser code reads like Jinja2's.
enum Operator: String, Sendable {
    case add = "+", sub = "-", div = "/", floordiv = "//", mul = "*", mod = "%", pow = "**"
    case tilde = "~", lbracket = "[", rbracket = "]", lparen = "(", rparen = ")"
    case lbrace = "{", rbrace = "}", eq = "==", ne = "!=", gt = ">", gteq = ">="
    case lt = "<", lteq = "<=", assign = "=", dot = ".", colon = ":", pipe = "|"
    case comma = ",", semicolon = ";"
}

enum TokenKind: Sendable, Equatable {
    case data(String)
    case variableBegin, variableEnd, blockBegin, blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case op(Operator)
    case eof
}

struct Token: Sendable {
    var kind: TokenKind
    /// Byte offset into the normalized source; line/column are derived only when reporting errors.
    var offset: Int

    /// Human readable description, following Jinja2's `describe_token`.
    var description: String {
        switch kind {
        case .data: return "template data / text"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name(let n): return n
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .op(let o): return o.rawValue
        case .eof: return "end of template"
        }
    }

    func isName(_ n: String) -> Bool {
        if case .name(let v) = kind { return v == n }
        return false
    }

    func isOp(_ o: Operator) -> Bool {
        if case .op(let v) = kind { return v == o }
        return false
    }

    var nameValue: String? {
        if case .name(let v) = kind { return v }
        return nil
    }
}
