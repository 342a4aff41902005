/// Expression grammar, a direct transcription of Jinja2's `Parser.parse_*` methods so
/// precedence and quirks (left-associative `**`, unary minus binding looser than
/// filters, `is` tests taking one bare argument, ...) match exactly.
extension Parser {
    static let maxNesting = 120

    mutating func enter() throws(TemplateError) {
        nesting += 1
        if nesting > Parser.maxNesting { throw fail("expression nested too deeply", current.offset) }
    }

    mutating func parseExpression(withCondExpr: Bool = true) throws(TemplateError) -> Expr {
        try enter()
        defer { nesting -= 1 }
        return withCondExpr ? try parseCondExpr() : try parseOr()
    }

    mutating func parseCondExpr() throws(TemplateError) -> Expr {
        var expr1 = try parseOr()
        while skipName("if") {
            let expr2 = try parseOr()
            var expr3: Expr? = nil
            if skipName("else") { expr3 = try parseCondExpr() }
            expr1 = .cond(test: expr2, then: expr1, else: expr3)
        }
        return expr1
    }

    mutating func parseOr() throws(TemplateError) -> Expr {
        var left = try parseAnd()
        while skipName("or") { left = .or(left, try parseAnd()) }
        return left
    }

    mutating func parseAnd() throws(TemplateError) -> Expr {
        var left = try parseNot()
        while skipName("and") { left = .and(left, try parseNot()) }
        return left
    }

    mutating func parseNot() throws(TemplateError) -> Expr {
        if current.isName("not") {
            advance()
            try enter()
            defer { nesting -= 1 }
            return .not(try parseNot())
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws(TemplateError) -> Expr {
        let expr = try parseMath1()
        var ops: [(CompareOp, Expr)] = []
        while true {
            var op: CompareOp? = nil
            if case .op(let o) = current.kind {
                switch o {
                case .eq: op = .eq
                case .ne: op = .ne
                case .lt: op = .lt
                case .lteq: op = .lteq
                case .gt: op = .gt
                case .gteq: op = .gteq
                default: break
                }
            }
            if let op {
                advance()
                ops.append((op, try parseMath1()))
            } else if skipName("in") {
                ops.append((.in, try parseMath1()))
            } else if current.isName("not") && look().isName("in") {
                advance(); advance()
                ops.append((.notin, try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? expr : .compare(expr, ops)
    }

    mutating func parseMath1() throws(TemplateError) -> Expr {
        var left = try parseConcat()
        while true {
            if current.isOp(.add) { advance(); left = .binary(.add, left, try parseConcat()) }
            else if current.isOp(.sub) { advance(); left = .binary(.sub, left, try parseConcat()) }
            else { return left }
        }
    }

    mutating func parseConcat() throws(TemplateError) -> Expr {
        var args = [try parseMath2()]
        while current.isOp(.tilde) {
            advance()
            args.append(try parseMath2())
        }
        return args.count == 1 ? args[0] : .concat(args)
    }

    mutating func parseMath2() throws(TemplateError) -> Expr {
        var left = try parsePow()
        while case .op(let o) = current.kind {
            let op: BinaryOp
            switch o {
            case .mul: op = .mul
            case .div: op = .div
            case .floordiv: op = .floordiv
            case .mod: op = .mod
            default: return left
            }
            advance()
            left = .binary(op, left, try parsePow())
        }
        return left
    }

    mutating func parsePow() throws(TemplateError) -> Expr {
        var left = try parseUnary()
        while current.isOp(.pow) {
            advance()
            left = .binary(.pow, left, try parseUnary())
        }
        return left
    }

    mutating func parseUnary(withFilter: Bool = true) throws(TemplateError) -> Expr {
        try enter()
        defer { nesting -= 1 }
        var node: Expr
        if current.isOp(.sub) {
            advance()
            node = .neg(try parseUnary(withFilter: false))
        } else if current.isOp(.add) {
            advance()
            node = .pos(try parseUnary(withFilter: false))
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpr(node) }
        return node
    }

    mutating func parsePrimary() throws(TemplateError) -> Expr {
        let tok = current
        switch tok.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(nameID(n))
            }
        case .string(let s):
            advance()
            var buf = s
            while case .string(let more) = current.kind {
                buf += more
                advance()
            }
            return .literal(.string(buf))
        case .integer(let v):
            advance()
            return .literal(.int(v))
        case .float(let v):
            advance()
            return .literal(.float(v))
        case .op(.lparen):
            advance()
            let node = try parseTuple(explicitParentheses: true)
            try expect(.rparen)
            return node
        case .op(.lbracket):
            return try parseList()
        case .op(.lbrace):
            return try parseDict()
        default:
            throw fail("unexpected \(PyRepr.string(tok.description))", tok.offset)
        }
    }

    /// Jinja2's `parse_tuple`: comma separated expressions, a tuple only when a comma appears.
    mutating func parseTuple(simplified: Bool = false, withCondExpr: Bool = true, extraEndRules: [String] = [],
                             explicitParentheses: Bool = false) throws(TemplateError) -> Expr {
        var args: [Expr] = []
        var isTuple = false
        while true {
            if !args.isEmpty { try expect(.comma) }
            if isTupleEnd(extraEndRules) { break }
            if simplified {
                args.append(try parsePrimary())
            } else {
                args.append(try parseExpression(withCondExpr: withCondExpr))
            }
            if current.isOp(.comma) { isTuple = true } else { break }
        }
        if !isTuple {
            if let first = args.first { return first }
            if !explicitParentheses {
                throw fail("Expected an expression, got \(PyRepr.string(current.description))", current.offset)
            }
        }
        return .tuple(args)
    }

    func isTupleEnd(_ extra: [String]) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .op(.rparen): return true
        case .name(let n): return extra.contains(n)
        default: return false
        }
    }

    mutating func parseList() throws(TemplateError) -> Expr {
        try expect(.lbracket)
        var items: [Expr] = []
        while !current.isOp(.rbracket) {
            if !items.isEmpty { try expect(.comma) }
            if current.isOp(.rbracket) { break }
            items.append(try parseExpression())
        }
        try expect(.rbracket)
        return .list(items)
    }

    mutating func parseDict() throws(TemplateError) -> Expr {
        try expect(.lbrace)
        var items: [(Expr, Expr)] = []
        while !current.isOp(.rbrace) {
            if !items.isEmpty { try expect(.comma) }
            if current.isOp(.rbrace) { break }
            let key = try parseExpression()
            try expect(.colon)
            let value = try parseExpression()
            items.append((key, value))
        }
        try expect(.rbrace)
        return .dict(items)
    }

    mutating func parsePostfix(_ start: Expr) throws(TemplateError) -> Expr {
        var node = start
        while true {
            if current.isOp(.dot) || current.isOp(.lbracket) {
                node = try parseSubscript(node)
            } else if current.isOp(.lparen) {
                node = try parseCall(node)
            } else {
                return node
            }
        }
    }

    mutating func parseFilterExpr(_ start: Expr) throws(TemplateError) -> Expr {
        var node = start
        while true {
            if current.isOp(.pipe) {
                node = try parseFilter(node)
            } else if current.isName("is") {
                node = try parseTest(node)
            } else if current.isOp(.lparen) {
                node = try parseCall(node)
            } else {
                return node
            }
        }
    }

    mutating func parseSubscript(_ node: Expr) throws(TemplateError) -> Expr {
        let tok = advance()
        if tok.isOp(.dot) {
            let attr = current
            advance()
            switch attr.kind {
            case .name(let n): return .getattr(node, n)
            case .integer(let v): return .getitem(node, .literal(.int(v)))
            default: throw fail("expected name or number", attr.offset)
            }
        }
        // lbracket
        var args: [Expr] = []
        while !current.isOp(.rbracket) {
            if !args.isEmpty { try expect(.comma) }
            args.append(try parseSubscribed())
        }
        try expect(.rbracket)
        return .getitem(node, args.count == 1 ? args[0] : .tuple(args))
    }

    mutating func parseSubscribed() throws(TemplateError) -> Expr {
        var args: [Expr?] = []
        if current.isOp(.colon) {
            advance()
            args = [nil]
        } else {
            let node = try parseExpression()
            if !current.isOp(.colon) { return node }
            advance()
            args = [node]
        }
        if current.isOp(.colon) {
            args.append(nil)
        } else if !(current.isOp(.rbracket) || current.isOp(.comma)) {
            args.append(try parseExpression())
        } else {
            args.append(nil)
        }
        if current.isOp(.colon) {
            advance()
            if !(current.isOp(.rbracket) || current.isOp(.comma)) {
                args.append(try parseExpression())
            } else {
                args.append(nil)
            }
        } else {
            args.append(nil)
        }
        return .slice(args[0], args[1], args[2])
    }

    mutating func parseCallArgs() throws(TemplateError) -> CallArgs {
        let open = try expect(.lparen)
        var result = CallArgs()
        var requireComma = false
        func ensure(_ ok: Bool) throws(TemplateError) {
            if !ok { throw fail("invalid syntax for function call expression", open.offset) }
        }
        while !current.isOp(.rparen) {
            if requireComma {
                try expect(.comma)
                if current.isOp(.rparen) { break }
            }
            if current.isOp(.mul) {
                try ensure(result.dynArgs == nil && result.dynKwargs == nil)
                advance()
                result.dynArgs = try parseExpression()
            } else if current.isOp(.pow) {
                try ensure(result.dynKwargs == nil)
                advance()
                result.dynKwargs = try parseExpression()
            } else if let key = current.nameValue, look().isOp(.assign) {
                try ensure(result.dynKwargs == nil)
                advance(); advance()
                result.kwargs.append(Keyword(name: key, value: try parseExpression()))
            } else {
                try ensure(result.dynArgs == nil && result.dynKwargs == nil && result.kwargs.isEmpty)
                result.args.append(try parseExpression())
            }
            requireComma = true
        }
        try expect(.rparen)
        return result
    }

    mutating func parseCall(_ node: Expr) throws(TemplateError) -> Expr {
        let offset = current.offset
        let args = try parseCallArgs()
        return .call(node, args, offset)
    }

    /// `parse_filter`; `input == nil` with `startInline` parses `{% filter f %}` / `{% set x | f %}` chains.
    mutating func parseFilter(_ input: Expr?, startInline: Bool = false) throws(TemplateError) -> Expr? {
        var node = input
        var inline = startInline
        while current.isOp(.pipe) || inline {
            if !inline { advance() }
            let tok = try expectName()
            var name = tok.1
            while current.isOp(.dot) {
                advance()
                name += "." + (try expectName()).1
            }
            var args = CallArgs()
            if current.isOp(.lparen) { args = try parseCallArgs() }
            node = .filter(node, FilterCall(name: name, function: Filters.table[name], args: args, offset: tok.0))
            inline = false
        }
        return node
    }

    mutating func parseFilter(_ input: Expr) throws(TemplateError) -> Expr {
        try parseFilter(Optional(input))!
    }

    mutating func parseTest(_ node: Expr) throws(TemplateError) -> Expr {
        let isTok = advance()
        var negated = false
        if current.isName("not") {
            advance()
            negated = true
        }
        var name = (try expectName()).1
        while current.isOp(.dot) {
            advance()
            name += "." + (try expectName()).1
        }
        var args = CallArgs()
        if current.isOp(.lparen) {
            args = try parseCallArgs()
        } else {
            var startsArg = false
            switch current.kind {
            case .name(let n): startsArg = !(n == "else" || n == "or" || n == "and")
            case .string, .integer, .float, .op(.lparen), .op(.lbracket), .op(.lbrace): startsArg = true
            default: break
            }
            if startsArg {
                if current.isName("is") { throw fail("You cannot chain multiple tests with is", current.offset) }
                var arg = try parsePrimary()
                arg = try parsePostfix(arg)
                args.args = [arg]
            }
        }
        let test: Expr = .test(node, TestCall(name: name, id: TestID(rawValue: name), args: args, offset: isTok.offset))
        return negated ? .not(test) : test
    }
}
