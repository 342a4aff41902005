/// Reproduces Jinja2's compile-time symbol analysis (jinja2/idtracking.py).
///
/// Jinja2 compiles each frame (template, loop body, macro, with/filter/set blocks)
/// into Python locals. A name that a frame assigns, but that neither the frame
/// itself read earlier nor any enclosing frame knows, starts out as `missing`
/// for the whole frame — so nested frames that read it *before* the assignment
/// see an undefined value instead of the render context's value. Everything else
/// matches plain lexical lookup, which the renderer does dynamically. This pass
/// finds those names and prepends `.declareUndefined` to the frame's body.
final class Symbols {
    enum Load { case param, alias, resolve, undefined }

    var refs: [Int: Load] = [:]
    var stores: Set<Int> = []
    let parent: Symbols?

    init(parent: Symbols?) {
        self.parent = parent
    }

    func findRef(_ id: Int) -> Bool {
        var s: Symbols? = self
        while let sym = s {
            if sym.refs[id] != nil { return true }
            s = sym.parent
        }
        return false
    }

    func load(_ id: Int) {
        if !findRef(id) { refs[id] = .resolve }
    }

    func store(_ id: Int) {
        stores.insert(id)
        if refs[id] == nil {
            refs[id] = parent?.findRef(id) == true ? .alias : .undefined
        }
    }

    func declareParameter(_ id: Int) {
        stores.insert(id)
        refs[id] = .param
    }

    func copy() -> Symbols {
        let c = Symbols(parent: parent)
        c.refs = refs
        c.stores = stores
        return c
    }

    /// `Symbols.branch_update`: names assigned in only some branches of an `if`
    /// fall back to the outer value (or the context) instead of `missing`.
    func branchUpdate(_ branches: [Symbols]) {
        var counts: [Int: Int] = [:]
        var order: [Int] = []
        for b in branches {
            for t in b.stores where !stores.contains(t) {
                if counts[t] == nil { order.append(t) }
                counts[t, default: 0] += 1
            }
        }
        for b in branches {
            refs.merge(b.refs) { _, new in new }
            stores.formUnion(b.stores)
        }
        for name in order where counts[name]! != branches.count {
            refs[name] = parent?.findRef(name) == true ? .alias : .resolve
        }
    }

    var undefinedNames: [Int] {
        refs.filter { $0.value == .undefined }.map(\.key).sorted()
    }
}

struct ScopeAnalyzer {
    /// Annotates the template body (the root frame).
    static func annotate(_ body: [Stmt]) -> [Stmt] {
        let sym = Symbols(parent: nil)
        visitBody(body, sym)
        return finish(body, sym)
    }

    /// Prepends the frame's `missing` names and recurses into child frames.
    private static func finish(_ body: [Stmt], _ sym: Symbols) -> [Stmt] {
        let transformed = transformChildren(body, sym)
        let undef = sym.undefinedNames
        return undef.isEmpty ? transformed : [.declareUndefined(undef)] + transformed
    }

    // MARK: FrameSymbolVisitor: the statements of one frame, not descending into child frames

    private static func visitBody(_ body: [Stmt], _ sym: Symbols) {
        for s in body { visit(s, sym) }
    }

    private static func visit(_ s: Stmt, _ sym: Symbols) {
        switch s {
        case .text, .fail, .block, .declareUndefined: break
        case .output(let e, _), .constOutput(let e, _): visit(e, sym)
        case .ifStmt(let branches, let els):
            visitIf(branches[0].test, branches[0].body, Array(branches.dropFirst()), els, sym)
        case .forLoop(let f): visit(f.iter, sym)
        case .assign(let target, let e, _):
            visit(e, sym)
            visitTarget(target, sym)
        case .assignBlock(let target, _, _, _): visitTarget(target, sym)
        case .macro(let id, _): sym.store(id)
        case .callBlock(_, let call, _): visit(call, sym)
        case .filterBlock(let filter, _, _): visit(filter, sym)
        case .with(let pairs, _, _): for (_, e) in pairs { visit(e, sym) }
        }
    }

    /// Jinja2's `visit_If`: each branch is analyzed on a copy, then merged.
    private static func visitIf(_ test: Expr, _ body: [Stmt], _ elifs: [IfBranch], _ els: [Stmt], _ sym: Symbols) {
        visit(test, sym)
        let bodySym = sym.copy()
        visitBody(body, bodySym)
        let elifSym = sym.copy()
        for e in elifs { visitIf(e.test, e.body, [], [], elifSym) }
        let elseSym = sym.copy()
        visitBody(els, elseSym)
        sym.branchUpdate([bodySym, elifSym, elseSym])
    }

    private static func visitTarget(_ t: Target, _ sym: Symbols) {
        switch t {
        case .name(let id): sym.store(id)
        case .tuple(let ts): for x in ts { visitTarget(x, sym) }
        case .nsref(let id, _): sym.load(id)
        }
    }

    private static func visitParams(_ t: Target, _ sym: Symbols) {
        switch t {
        case .name(let id): sym.declareParameter(id)
        case .tuple(let ts): for x in ts { visitParams(x, sym) }
        case .nsref(let id, _): sym.load(id)
        }
    }

    private static func visit(_ e: Expr, _ sym: Symbols) {
        Scan.walk(e) { x in
            if case .name(let id) = x { sym.load(id) }
        }
    }

    // MARK: RootVisitor: child frames, analyzed with the enclosing frame as parent

    private static func transformChildren(_ body: [Stmt], _ sym: Symbols) -> [Stmt] {
        body.map { transform($0, sym) }
    }

    private static func transform(_ s: Stmt, _ sym: Symbols) -> Stmt {
        switch s {
        case .ifStmt(let branches, let els):
            return .ifStmt(branches.map { IfBranch(test: $0.test, body: transformChildren($0.body, sym), offset: $0.offset) },
                           else: transformChildren(els, sym))
        case .forLoop(let f):
            let bodySym = Symbols(parent: sym)
            visitParams(f.target, bodySym)
            visitBody(f.body, bodySym)
            let elseSym = Symbols(parent: sym)
            visitBody(f.elseBody, elseSym)
            return .forLoop(ForNode(target: f.target, iter: f.iter, filter: f.filter, body: finish(f.body, bodySym),
                                    elseBody: finish(f.elseBody, elseSym), recursive: f.recursive, usesLoop: f.usesLoop,
                                    capturesScope: f.capturesScope, loopID: f.loopID, offset: f.offset))
        case .macro(let id, let def):
            return .macro(id, annotateMacro(def, sym))
        case .callBlock(let def, let call, let off):
            return .callBlock(annotateMacro(def, sym), call, off)
        case .assignBlock(let target, let filter, let body, let off):
            let inner = Symbols(parent: sym)
            visitBody(body, inner)
            return .assignBlock(target, filter, finish(body, inner), off)
        case .filterBlock(let filter, let body, let off):
            let inner = Symbols(parent: sym)
            visit(filter, inner)
            visitBody(body, inner)
            return .filterBlock(filter, finish(body, inner), off)
        case .with(let pairs, let body, let off):
            let inner = Symbols(parent: sym)
            for (t, _) in pairs { visitParams(t, inner) }
            visitBody(body, inner)
            return .with(pairs, finish(body, inner), off)
        case .block(let name, let body, let scoped):
            let inner = Symbols(parent: nil)
            visitBody(body, inner)
            return .block(name, finish(body, inner), scoped: scoped)
        default:
            return s
        }
    }

    private static func annotateMacro(_ def: MacroDef, _ sym: Symbols) -> MacroDef {
        let inner = Symbols(parent: sym)
        for p in def.params { inner.declareParameter(p) }
        for d in def.defaults { visit(d, inner) }
        if def.usesCaller { inner.declareParameter(def.callerID) }
        if def.usesKwargs { inner.declareParameter(def.kwargsID) }
        if def.usesVarargs { inner.declareParameter(def.varargsID) }
        visitBody(def.body, inner)
        return MacroDef(name: def.name, params: def.params, paramNames: def.paramNames, defaults: def.defaults,
                        body: finish(def.body, inner), usesCaller: def.usesCaller, usesVarargs: def.usesVarargs,
                        usesKwargs: def.usesKwargs, callerID: def.callerID, varargsID: def.varargsID, kwargsID: def.kwargsID)
    }
}
