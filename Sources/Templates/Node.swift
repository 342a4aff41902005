/// The compiled template tree. Everything is immutable and `Sendable` so a parsed
/// `Template` can be shared across threads and rendered concurrently.

enum Literal: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
}

enum BinaryOp: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", floordiv = "//", mod = "%", pow = "**"
}

enum CompareOp: Sendable {
    case eq, ne, lt, lteq, gt, gteq, `in`, notin
}

struct Keyword: Sendable {
    var name: String
    var value: Expr
}

struct CallArgs: Sendable {
    var args: [Expr] = []
    var kwargs: [Keyword] = []
    var dynArgs: Expr? = nil
    var dynKwargs: Expr? = nil

    var isSimple: Bool { kwargs.isEmpty && dynArgs == nil && dynKwargs == nil }
}

/// A filter application; `function` is nil when the name is unknown but the filter sits in a
/// conditional branch, where Jinja2 defers the "No filter named" error to runtime.
final class FilterCall: Sendable {
    let name: String
    let function: FilterFunction?
    let args: CallArgs
    let offset: Int
    init(name: String, function: FilterFunction?, args: CallArgs, offset: Int) {
        self.name = name
        self.function = function
        self.args = args
        self.offset = offset
    }
}

final class TestCall: Sendable {
    let name: String
    let id: TestID?
    let args: CallArgs
    let offset: Int
    init(name: String, id: TestID?, args: CallArgs, offset: Int) {
        self.name = name
        self.id = id
        self.args = args
        self.offset = offset
    }
}

indirect enum Expr: Sendable {
    case literal(Literal)
    /// Variable reference, by index into the template's name table.
    case name(Int)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case getattr(Expr, String)
    case getitem(Expr, Expr)
    /// Only valid as the argument of `getitem`.
    case slice(Expr?, Expr?, Expr?)
    case call(Expr, CallArgs, Int)
    /// `nil` input means "the rendered body" (filter blocks and `{% set x | f %}`).
    case filter(Expr?, FilterCall)
    case test(Expr, TestCall)
    case not(Expr)
    case neg(Expr)
    case pos(Expr)
    case binary(BinaryOp, Expr, Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case compare(Expr, [(CompareOp, Expr)])
    case concat([Expr])
    case cond(test: Expr, then: Expr, else: Expr?)
}

indirect enum Target: Sendable {
    case name(Int)
    case tuple([Target])
    /// `ns.attr` inside `{% set %}`.
    case nsref(Int, String)
}

final class MacroDef: Sendable {
    let name: String
    let params: [Int]
    let paramNames: [String]
    /// Defaults for the last `defaults.count` parameters.
    let defaults: [Expr]
    let body: [Stmt]
    let usesCaller: Bool
    let usesVarargs: Bool
    let usesKwargs: Bool
    let callerID: Int
    let varargsID: Int
    let kwargsID: Int

    init(name: String, params: [Int], paramNames: [String], defaults: [Expr], body: [Stmt],
         usesCaller: Bool, usesVarargs: Bool, usesKwargs: Bool, callerID: Int, varargsID: Int, kwargsID: Int) {
        self.name = name
        self.params = params
        self.paramNames = paramNames
        self.defaults = defaults
        self.body = body
        self.usesCaller = usesCaller
        self.usesVarargs = usesVarargs
        self.usesKwargs = usesKwargs
        self.callerID = callerID
        self.varargsID = varargsID
        self.kwargsID = kwargsID
    }
}

final class ForNode: Sendable {
    let target: Target
    let iter: Expr
    let filter: Expr?
    let body: [Stmt]
    let elseBody: [Stmt]
    let recursive: Bool
    /// Skip building the `loop` object when the body never mentions it.
    let usesLoop: Bool
    /// A macro or call block in the body may capture the per-iteration scope, so it must
    /// be fresh each iteration instead of being recycled.
    let capturesScope: Bool
    let loopID: Int
    let offset: Int

    init(target: Target, iter: Expr, filter: Expr?, body: [Stmt], elseBody: [Stmt], recursive: Bool,
         usesLoop: Bool, capturesScope: Bool, loopID: Int, offset: Int) {
        self.target = target
        self.iter = iter
        self.filter = filter
        self.body = body
        self.elseBody = elseBody
        self.recursive = recursive
        self.usesLoop = usesLoop
        self.capturesScope = capturesScope
        self.loopID = loopID
        self.offset = offset
    }
}

struct IfBranch: Sendable {
    var test: Expr
    var body: [Stmt]
    var offset: Int
}

indirect enum Stmt: Sendable {
    case text(String)
    case output(Expr, Int)
    /// `{{ expr }}` Jinja2's optimizer evaluates at compile time (lookup errors become undefined).
    case constOutput(Expr, Int)
    case ifStmt([IfBranch], else: [Stmt])
    case forLoop(ForNode)
    case assign(Target, Expr, Int)
    case assignBlock(Target, Expr?, [Stmt], Int)
    case macro(Int, MacroDef)
    /// `{% call(args) expr %}body{% endcall %}`: the caller macro and the call expression.
    case callBlock(MacroDef, Expr, Int)
    case filterBlock(Expr, [Stmt], Int)
    case with([(Target, Expr)], [Stmt], Int)
    case block(String, [Stmt], scoped: Bool)
    /// Statements that parse but cannot run without a loader (include/import/extends).
    case fail(TemplateError.Kind, String, Int)
    /// Frame prologue: names Jinja2 treats as `missing` until assigned (see Scoping.swift).
    case declareUndefined([Int])
}
