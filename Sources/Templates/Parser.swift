/// Statement parser, transcribed from Jinja2's `Parser` (subparse / parse_statement /
/// parse_for / parse_if / ...). Produces the immutable tree in Node.swift.
struct Parser {
    var tokens: [Token]
    var pos = 0
    var nesting = 0
    var names: [String] = []
    var nameIDs: [String: Int] = [:]
    private var endTokenStack: [[String]] = []
    private var tagStack: [String] = []
    private var blockNames: Set<String> = []

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    // MARK: token stream helpers

    var current: Token { tokens[pos] }

    func look() -> Token { tokens[min(pos + 1, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    func fail(_ message: String, _ offset: Int) -> TemplateError {
        var e = TemplateError.syntax(message)
        e.sourceOffset = offset
        return e
    }

    mutating func skipName(_ n: String) -> Bool {
        if current.isName(n) {
            advance()
            return true
        }
        return false
    }

    private static func describe(_ op: Operator) -> String { op.rawValue }

    @discardableResult
    mutating func expect(_ op: Operator) throws(TemplateError) -> Token {
        if current.isOp(op) { return advance() }
        throw unexpected(expected: "'\(Parser.describe(op))'")
    }

    mutating func expectName() throws(TemplateError) -> (Int, String) {
        if case .name(let n) = current.kind {
            let t = advance()
            return (t.offset, n)
        }
        throw unexpected(expected: "name")
    }

    mutating func expectName(_ n: String) throws(TemplateError) {
        if current.isName(n) { advance(); return }
        throw unexpected(expected: "'\(n)'")
    }

    mutating func expectBlockEnd() throws(TemplateError) {
        if case .blockEnd = current.kind { advance(); return }
        throw unexpected(expected: "'end of statement block'")
    }

    private func unexpected(expected: String) -> TemplateError {
        if case .eof = current.kind {
            return fail("unexpected end of template, expected \(expected).", current.offset)
        }
        return fail("expected token \(expected), got \(PyRepr.string(current.description))", current.offset)
    }

    mutating func nameID(_ n: String) -> Int {
        if let id = nameIDs[n] { return id }
        let id = names.count
        names.append(n)
        nameIDs[n] = id
        return id
    }

    // MARK: template structure

    mutating func parseTemplate() throws(TemplateError) -> [Stmt] {
        let body = try subparse(nil)
        try Validator(names: names).check(body)
        return ScopeAnalyzer.annotate(body)
    }

    /// Parses until one of `endTokens` is found as the first name inside `{% %}`; leaves
    /// the stream positioned on that name.
    mutating func subparse(_ endTokens: [String]?) throws(TemplateError) -> [Stmt] {
        var body: [Stmt] = []
        if let endTokens { endTokenStack.append(endTokens) }
        defer { if endTokens != nil { endTokenStack.removeLast() } }
        while true {
            let tok = current
            switch tok.kind {
            case .eof:
                return body
            case .data(let s):
                body.append(.text(s))
                advance()
            case .variableBegin:
                advance()
                let expr = try parseTuple(withCondExpr: true)
                guard case .variableEnd = current.kind else { throw unexpected(expected: "'end of print statement'") }
                advance()
                body.append(Parser.foldConstantOutput(expr, tok.offset))
            case .blockBegin:
                advance()
                if let endTokens, let n = current.nameValue, endTokens.contains(n) { return body }
                body.append(contentsOf: try parseStatement())
                try expectBlockEnd()
            default:
                throw fail("internal parsing error", tok.offset)
            }
        }
    }

    /// `{{ 'literal' }}` prints the same text every time; emit it as template data
    /// (Jinja2's optimizer does the same constant folding).
    static func foldConstantOutput(_ expr: Expr, _ offset: Int) -> Stmt {
        guard case .literal(let l) = expr else {
            return Scan.isConstant(expr) ? .constOutput(expr, offset) : .output(expr, offset)
        }
        switch l {
        case .string(let s): return .text(s)
        case .int(let i): return .text(String(i))
        case .float(let d): return .text(PyRepr.float(d))
        case .bool(let b): return .text(b ? "True" : "False")
        case .none: return .text("None")
        }
    }

    /// `parse_statements`: optional colon, block end, body, then the end tag.
    mutating func parseStatements(_ endTokens: [String], dropNeedle: Bool = false) throws(TemplateError) -> [Stmt] {
        if current.isOp(.colon) { advance() }
        try expectBlockEnd()
        let result = try subparse(endTokens)
        if case .eof = current.kind { throw failEOF(endTokens) }
        if dropNeedle { advance() }
        return result
    }

    private func lookingFor(_ endTokens: [String]) -> String {
        endTokens.map { "'\($0)'" }.joined(separator: " or ")
    }

    private func failEOF(_ endTokens: [String]) -> TemplateError {
        var msg = "Unexpected end of template. Jinja was looking for the following tags: \(lookingFor(endTokens))."
        if let last = tagStack.last { msg += " The innermost block that needs to be closed is '\(last)'." }
        return fail(msg, current.offset)
    }

    private func failUnknownTag(_ name: String, _ offset: Int) -> TemplateError {
        var msg = "Encountered unknown tag '\(name)'."
        if let last = endTokenStack.last {
            let expected = endTokenStack.flatMap { $0 }
            if expected.contains(name) {
                msg += " You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for \(lookingFor(last))."
            } else {
                msg += " Jinja was looking for the following tags: \(lookingFor(last))."
            }
        }
        if let t = tagStack.last { msg += " The innermost block that needs to be closed is '\(t)'." }
        return fail(msg, offset)
    }

    mutating func parseStatement() throws(TemplateError) -> [Stmt] {
        let tok = current
        guard case .name(let tag) = tok.kind else { throw fail("tag name expected", tok.offset) }
        tagStack.append(tag)
        defer { tagStack.removeLast() }
        switch tag {
        case "for": return [try parseFor()]
        case "if": return [try parseIf()]
        case "set": return [try parseSet()]
        case "macro": return [try parseMacro()]
        case "call": return [try parseCallBlock()]
        case "filter": return [try parseFilterBlock()]
        case "with": return [try parseWith()]
        case "block": return [try parseBlock()]
        case "print":
            advance()
            var nodes: [Stmt] = []
            while true {
                if case .blockEnd = current.kind { break }
                if !nodes.isEmpty { try expect(.comma) }
                let off = current.offset
                nodes.append(.output(try parseExpression(), off))
            }
            return nodes
        case "autoescape":
            advance()
            _ = try parseExpression()
            let body = try parseStatements(["endautoescape"], dropNeedle: true)
            return [.fail(.runtime, "the autoescape statement is not supported", tok.offset)] + (body.isEmpty ? [] : [])
        case "include", "extends", "import", "from":
            return [try parseLoaderStatement(tag)]
        default:
            tagStack.removeLast()
            defer { tagStack.append(tag) }
            throw failUnknownTag(tag, tok.offset)
        }
    }

    /// include/import/extends need a loader, which this engine has no notion of.
    /// Parse them like Jinja2 does and fail at render time like an Environment without a loader.
    mutating func parseLoaderStatement(_ tag: String) throws(TemplateError) -> Stmt {
        let start = advance()
        _ = try parseExpression()
        switch tag {
        case "include":
            if current.isName("ignore") && look().isName("missing") { advance(); advance() }
            if (current.isName("with") || current.isName("without")) && look().isName("context") { advance(); advance() }
        case "import":
            try expectName("as")
            _ = try expectName()
            if (current.isName("with") || current.isName("without")) && look().isName("context") { advance(); advance() }
        case "from":
            try expectName("import")
            while true {
                if case .blockEnd = current.kind { break }
                if current.isName("with") || current.isName("without"), look().isName("context") { advance(); advance(); break }
                _ = try expectName()
                if skipName("as") { _ = try expectName() }
                if current.isOp(.comma) { advance() } else { if current.isName("with") || current.isName("without") { continue }; break }
            }
        default: break
        }
        return .fail(.type, "no loader for this environment specified", start.offset)
    }

    mutating func parseFor() throws(TemplateError) -> Stmt {
        let start = advance()
        let target = try parseAssignTarget(extraEndRules: ["in"])
        try expectName("in")
        let iter = try parseTuple(withCondExpr: false, extraEndRules: ["recursive"])
        var test: Expr? = nil
        if skipName("if") { test = try parseExpression() }
        let recursive = skipName("recursive")
        let body = try parseStatements(["endfor", "else"])
        var elseBody: [Stmt] = []
        if advance().isName("else") {
            elseBody = try parseStatements(["endfor"], dropNeedle: true)
        }
        let usesLoop = recursive || Scan.mentions(body, name: "loop", names: names)
        let loopID = nameID("loop")
        return .forLoop(ForNode(target: target, iter: iter, filter: test, body: body, elseBody: elseBody,
                                recursive: recursive, usesLoop: usesLoop, capturesScope: Scan.definesClosure(body),
                                loopID: loopID, offset: start.offset))
    }

    mutating func parseIf() throws(TemplateError) -> Stmt {
        var branches: [IfBranch] = []
        var elseBody: [Stmt] = []
        var offset = advance().offset
        while true {
            let test = try parseTuple(withCondExpr: false)
            let body = try parseStatements(["elif", "else", "endif"])
            branches.append(IfBranch(test: test, body: body, offset: offset))
            let tok = advance()
            if tok.isName("elif") {
                offset = tok.offset
                continue
            } else if tok.isName("else") {
                elseBody = try parseStatements(["endif"], dropNeedle: true)
            }
            break
        }
        return .ifStmt(branches, else: elseBody)
    }

    mutating func parseSet() throws(TemplateError) -> Stmt {
        let start = advance()
        let target = try parseAssignTarget(withNamespace: true)
        if current.isOp(.assign) {
            advance()
            let expr = try parseTuple()
            return .assign(target, expr, start.offset)
        }
        let filter = try parseFilter(nil)
        let body = try parseStatements(["endset"], dropNeedle: true)
        return .assignBlock(target, filter, body, start.offset)
    }

    mutating func parseAssignTarget(withTuple: Bool = true, nameOnly: Bool = false, extraEndRules: [String] = [],
                                    withNamespace: Bool = false) throws(TemplateError) -> Target {
        let startOffset = current.offset
        if nameOnly {
            let (_, n) = try expectName()
            return .name(nameID(n))
        }
        func primaryTarget(_ p: inout Parser) throws(TemplateError) -> Target {
            let tok = p.current
            if case .name(let n) = tok.kind {
                p.advance()
                switch n {
                case "true", "false", "True", "False", "none", "None":
                    throw p.fail("can't assign to 'const'", tok.offset)
                default: break
                }
                if withNamespace && p.current.isOp(.dot) {
                    p.advance()
                    let (_, attr) = try p.expectName()
                    return .nsref(p.nameID(n), attr)
                }
                return .name(p.nameID(n))
            }
            // Anything else parses as an expression Jinja2 then refuses to assign to.
            let expr = try p.parsePrimary()
            throw p.fail("can't assign to '\(Scan.nodeName(expr))'", tok.offset)
        }
        if !withTuple { return try primaryTarget(&self) }
        var items: [Target] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expect(.comma) }
            if isTupleEnd(extraEndRules) { break }
            items.append(try primaryTarget(&self))
            if current.isOp(.comma) { isTuple = true } else { break }
        }
        if !isTuple {
            if let first = items.first { return first }
            throw fail("Expected an expression, got \(PyRepr.string(current.description))", current.offset)
        }
        if items.isEmpty { throw fail("can't assign to 'tuple'", startOffset) }
        for t in items { if case .nsref = t { throw fail("can't assign to 'tuple'", startOffset) } }
        return .tuple(items)
    }

    mutating func parseSignature() throws(TemplateError) -> ([Int], [String], [Expr]) {
        var params: [Int] = []
        var paramNames: [String] = []
        var defaults: [Expr] = []
        try expect(.lparen)
        while !current.isOp(.rparen) {
            if !params.isEmpty { try expect(.comma) }
            let (off, n) = try expectName()
            if ["true", "false", "True", "False", "none", "None"].contains(n) { throw fail("can't assign to 'const'", off) }
            if current.isOp(.assign) {
                advance()
                defaults.append(try parseExpression())
            } else if !defaults.isEmpty {
                throw fail("non-default argument follows default argument", off)
            }
            params.append(nameID(n))
            paramNames.append(n)
        }
        try expect(.rparen)
        return (params, paramNames, defaults)
    }

    mutating func makeMacro(name: String, signature: ([Int], [String], [Expr]), body: [Stmt], offset: Int) throws(TemplateError) -> MacroDef {
        let (params, paramNames, defaults) = signature
        let usesCaller = Scan.mentions(body, name: "caller", names: names)
        if usesCaller, let idx = paramNames.firstIndex(of: "caller"), idx < params.count - defaults.count {
            throw fail("When defining macros or call blocks the special 'caller' argument must be omitted or be given a default.", offset)
        }
        return MacroDef(name: name, params: params, paramNames: paramNames, defaults: defaults, body: body,
                        usesCaller: usesCaller && !paramNames.contains("caller"),
                        usesVarargs: Scan.mentions(body, name: "varargs", names: names) && !paramNames.contains("varargs"),
                        usesKwargs: Scan.mentions(body, name: "kwargs", names: names) && !paramNames.contains("kwargs"),
                        callerID: nameID("caller"), varargsID: nameID("varargs"), kwargsID: nameID("kwargs"))
    }

    mutating func parseMacro() throws(TemplateError) -> Stmt {
        let start = advance()
        let (_, name) = try expectName()
        let sig = try parseSignature()
        let body = try parseStatements(["endmacro"], dropNeedle: true)
        return .macro(nameID(name), try makeMacro(name: name, signature: sig, body: body, offset: start.offset))
    }

    mutating func parseCallBlock() throws(TemplateError) -> Stmt {
        let start = advance()
        var sig: ([Int], [String], [Expr]) = ([], [], [])
        if current.isOp(.lparen) { sig = try parseSignature() }
        let callNode = try parseExpression()
        guard case .call = callNode else { throw fail("expected call", start.offset) }
        let body = try parseStatements(["endcall"], dropNeedle: true)
        return .callBlock(try makeMacro(name: "caller", signature: sig, body: body, offset: start.offset), callNode, start.offset)
    }

    mutating func parseFilterBlock() throws(TemplateError) -> Stmt {
        let start = advance()
        let filter = try parseFilter(nil, startInline: true)!
        let body = try parseStatements(["endfilter"], dropNeedle: true)
        return .filterBlock(filter, body, start.offset)
    }

    mutating func parseWith() throws(TemplateError) -> Stmt {
        let start = advance()
        var pairs: [(Target, Expr)] = []
        while true {
            if case .blockEnd = current.kind { break }
            if !pairs.isEmpty { try expect(.comma) }
            let target = try parseAssignTarget()
            try expect(.assign)
            pairs.append((target, try parseExpression()))
        }
        let body = try parseStatements(["endwith"], dropNeedle: true)
        return .with(pairs, body, start.offset)
    }

    mutating func parseBlock() throws(TemplateError) -> Stmt {
        let start = advance()
        let (_, name) = try expectName()
        if blockNames.contains(name) { throw fail("block '\(name)' defined twice", start.offset) }
        blockNames.insert(name)
        if current.isOp(.sub) { throw fail("Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.", current.offset) }
        let scoped = skipName("scoped")
        let required = skipName("required")
        let body = try parseStatements(["endblock"], dropNeedle: true)
        if required {
            for s in body {
                switch s {
                case .text(let t) where t.unicodeScalars.allSatisfy({ PyChar.isSpace($0) }): continue
                default: throw fail("Required blocks can only contain comments or whitespace", start.offset)
                }
            }
        }
        if case .name(let n) = current.kind, n != name.self, !(n.isEmpty) {
            // `{% endblock name %}` must repeat the block name
            if n != name { throw fail("'\(name)' expected, got '\(n)'", current.offset) }
        }
        if case .name = current.kind { advance() }
        return .block(name, body, scoped: scoped)
    }
}

/// Structural queries over the tree used to decide how nodes are compiled.
enum Scan {
    static func nodeName(_ e: Expr) -> String {
        switch e {
        case .literal: return "const"
        case .list: return "list"
        case .dict: return "dict"
        case .tuple: return "tuple"
        case .name: return "name"
        default: return "expr"
        }
    }

    /// Expressions Jinja2's optimizer can fold at compile time (a conservative subset).
    static func isConstant(_ e: Expr) -> Bool {
        switch e {
        case .literal: return true
        case .list(let xs), .tuple(let xs), .concat(let xs): return xs.allSatisfy(isConstant)
        case .dict(let pairs): return pairs.allSatisfy { isConstant($0.0) && isConstant($0.1) }
        case .neg(let x), .pos(let x), .not(let x): return isConstant(x)
        case .binary(_, let a, let b): return isConstant(a) && isConstant(b)
        case .getitem(let o, let k): return isConstant(o) && isConstant(k)
        case .getattr(let o, _): return isConstant(o)
        case .slice(let a, let b, let c): return [a, b, c].allSatisfy { $0 == nil || isConstant($0!) }
        case .compare(let a, let ops): return isConstant(a) && ops.allSatisfy { isConstant($0.1) }
        case .and(let a, let b), .or(let a, let b): return isConstant(a) && isConstant(b)
        default: return false
        }
    }

    /// Whether `name` is loaded anywhere inside `stmts` (like Jinja2's find_undeclared, conservatively).
    static func mentions(_ stmts: [Stmt], name: String, names: [String]) -> Bool {
        guard let id = names.firstIndex(of: name) else { return false }
        var found = false
        walk(stmts) { e in
            if case .name(let n) = e, n == id { found = true }
        }
        return found
    }

    /// A body that defines macros or call blocks may capture its scope.
    static func definesClosure(_ stmts: [Stmt]) -> Bool {
        for s in stmts {
            switch s {
            case .macro, .callBlock: return true
            case .ifStmt(let branches, let els):
                if branches.contains(where: { definesClosure($0.body) }) || definesClosure(els) { return true }
            case .forLoop(let f):
                if definesClosure(f.body) || definesClosure(f.elseBody) { return true }
            case .assignBlock(_, _, let b, _), .filterBlock(_, let b, _), .with(_, let b, _), .block(_, let b, _):
                if definesClosure(b) { return true }
            default: break
            }
        }
        return false
    }

    static func walk(_ stmts: [Stmt], _ visit: (Expr) -> Void) {
        for s in stmts { walk(s, visit) }
    }

    static func walk(_ s: Stmt, _ visit: (Expr) -> Void) {
        switch s {
        case .text, .fail, .declareUndefined: break
        case .output(let e, _), .constOutput(let e, _): walk(e, visit)
        case .ifStmt(let branches, let els):
            for b in branches { walk(b.test, visit); walk(b.body, visit) }
            walk(els, visit)
        case .forLoop(let f):
            walk(f.iter, visit)
            if let t = f.filter { walk(t, visit) }
            walk(f.body, visit)
            walk(f.elseBody, visit)
        case .assign(_, let e, _): walk(e, visit)
        case .assignBlock(_, let f, let b, _):
            if let f { walk(f, visit) }
            walk(b, visit)
        case .macro(_, let m):
            for d in m.defaults { walk(d, visit) }
            walk(m.body, visit)
        case .callBlock(let m, let call, _):
            for d in m.defaults { walk(d, visit) }
            walk(m.body, visit)
            walk(call, visit)
        case .filterBlock(let f, let b, _):
            walk(f, visit)
            walk(b, visit)
        case .with(let pairs, let b, _):
            for (_, e) in pairs { walk(e, visit) }
            walk(b, visit)
        case .block(_, let b, _): walk(b, visit)
        }
    }

    static func walk(_ e: Expr, _ visit: (Expr) -> Void) {
        visit(e)
        switch e {
        case .literal, .name: break
        case .list(let xs), .tuple(let xs), .concat(let xs): for x in xs { walk(x, visit) }
        case .dict(let pairs): for (k, v) in pairs { walk(k, visit); walk(v, visit) }
        case .getattr(let o, _): walk(o, visit)
        case .getitem(let o, let k): walk(o, visit); walk(k, visit)
        case .slice(let a, let b, let c):
            if let a { walk(a, visit) }
            if let b { walk(b, visit) }
            if let c { walk(c, visit) }
        case .call(let f, let args, _): walk(f, visit); walk(args, visit)
        case .filter(let input, let f):
            if let input { walk(input, visit) }
            walk(f.args, visit)
        case .test(let input, let t): walk(input, visit); walk(t.args, visit)
        case .not(let x), .neg(let x), .pos(let x): walk(x, visit)
        case .binary(_, let a, let b), .and(let a, let b), .or(let a, let b): walk(a, visit); walk(b, visit)
        case .compare(let a, let ops): walk(a, visit); for (_, x) in ops { walk(x, visit) }
        case .cond(let t, let a, let b):
            walk(t, visit); walk(a, visit)
            if let b { walk(b, visit) }
        }
    }

    static func walk(_ args: CallArgs, _ visit: (Expr) -> Void) {
        for a in args.args { walk(a, visit) }
        for k in args.kwargs { walk(k.value, visit) }
        if let d = args.dynArgs { walk(d, visit) }
        if let d = args.dynKwargs { walk(d, visit) }
    }
}

/// Compile-time checks Jinja2 performs in its code generator: unknown filters/tests
/// (deferred to runtime inside `if` and conditional expressions, "soft" frames) and
/// assignments to the special `loop` variable.
struct Validator {
    let names: [String]

    func check(_ stmts: [Stmt]) throws(TemplateError) {
        for s in stmts { try check(s, soft: false) }
    }

    private func fail(_ msg: String, _ offset: Int) -> TemplateError {
        var e = TemplateError.syntax(msg)
        e.sourceOffset = offset
        return e
    }

    private func check(_ stmts: [Stmt], soft: Bool) throws(TemplateError) {
        for s in stmts { try check(s, soft: soft) }
    }

    private func check(_ s: Stmt, soft: Bool) throws(TemplateError) {
        switch s {
        case .text, .fail, .declareUndefined: break
        case .output(let e, _), .constOutput(let e, _): try check(e, soft: soft)
        case .ifStmt(let branches, let els):
            for b in branches {
                try check(b.test, soft: true)
                try check(b.body, soft: true)
            }
            try check(els, soft: true)
        case .forLoop(let f):
            if let off = storesLoop(f) { throw fail("Can't assign to special loop variable in for-loop target", off) }
            try check(f.iter, soft: soft)
            if let t = f.filter { try check(t, soft: false) }
            try check(f.body, soft: false)
            try check(f.elseBody, soft: false)
        case .assign(_, let e, _): try check(e, soft: soft)
        case .assignBlock(_, let f, let b, _):
            try check(b, soft: false)
            if let f { try check(f, soft: false) }
        case .macro(_, let m):
            for d in m.defaults { try check(d, soft: false) }
            try check(m.body, soft: false)
        case .callBlock(let m, let call, _):
            try check(call, soft: soft)
            for d in m.defaults { try check(d, soft: false) }
            try check(m.body, soft: false)
        case .filterBlock(let f, let b, _):
            try check(b, soft: false)
            try check(f, soft: false)
        case .with(let pairs, let b, _):
            for (_, e) in pairs { try check(e, soft: soft) }
            try check(b, soft: false)
        case .block(_, let b, _): try check(b, soft: false)
        }
    }

    private func storesLoop(_ f: ForNode) -> Int? {
        func targetHasLoop(_ t: Target) -> Bool {
            switch t {
            case .name(let id): return names[id] == "loop"
            case .tuple(let ts): return ts.contains(where: targetHasLoop)
            case .nsref: return false
            }
        }
        if targetHasLoop(f.target) { return f.offset }
        func bodyStores(_ stmts: [Stmt]) -> Bool {
            for s in stmts {
                switch s {
                case .assign(let t, _, _), .assignBlock(let t, _, _, _): if targetHasLoop(t) { return true }
                case .forLoop(let inner): if targetHasLoop(inner.target) || bodyStores(inner.body) || bodyStores(inner.elseBody) { return true }
                case .ifStmt(let bs, let els): if bs.contains(where: { bodyStores($0.body) }) || bodyStores(els) { return true }
                case .with(let pairs, let b, _): if pairs.contains(where: { targetHasLoop($0.0) }) || bodyStores(b) { return true }
                case .filterBlock(_, let b, _): if bodyStores(b) { return true }
                case .macro(let id, _): if names[id] == "loop" { return true }
                default: break
                }
            }
            return false
        }
        return bodyStores(f.body) || bodyStores(f.elseBody) ? f.offset : nil
    }

    private func check(_ e: Expr, soft: Bool) throws(TemplateError) {
        switch e {
        case .literal, .name: break
        case .list(let xs), .tuple(let xs), .concat(let xs): for x in xs { try check(x, soft: soft) }
        case .dict(let pairs): for (k, v) in pairs { try check(k, soft: soft); try check(v, soft: soft) }
        case .getattr(let o, _): try check(o, soft: soft)
        case .getitem(let o, let k): try check(o, soft: soft); try check(k, soft: soft)
        case .slice(let a, let b, let c):
            if let a { try check(a, soft: soft) }
            if let b { try check(b, soft: soft) }
            if let c { try check(c, soft: soft) }
        case .call(let f, let args, _): try check(f, soft: soft); try check(args, soft: soft)
        case .filter(let input, let f):
            if f.function == nil && !soft { throw fail("No filter named '\(f.name)'.", f.offset) }
            if let input { try check(input, soft: soft) }
            try check(f.args, soft: soft)
        case .test(let input, let t):
            if t.id == nil && !soft { throw fail("No test named '\(t.name)'.", t.offset) }
            try check(input, soft: soft)
            try check(t.args, soft: soft)
        case .not(let x), .neg(let x), .pos(let x): try check(x, soft: soft)
        case .binary(_, let a, let b), .and(let a, let b), .or(let a, let b):
            try check(a, soft: soft); try check(b, soft: soft)
        case .compare(let a, let ops):
            try check(a, soft: soft)
            for (_, x) in ops { try check(x, soft: soft) }
        case .cond(let t, let a, let b):
            try check(t, soft: true); try check(a, soft: true)
            if let b { try check(b, soft: true) }
        }
    }

    private func check(_ args: CallArgs, soft: Bool) throws(TemplateError) {
        for a in args.args { try check(a, soft: soft) }
        for k in args.kwargs { try check(k.value, soft: soft) }
        if let d = args.dynArgs { try check(d, soft: soft) }
        if let d = args.dynKwargs { try check(d, soft: soft) }
    }
}
