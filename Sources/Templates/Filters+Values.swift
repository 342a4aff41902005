/// Filters that take any value: a fallback for undefined or falsy ones, attribute access.
extension Filters {
    static func `default`(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "default_value,boolean")
        var useDefault = value.isUndefined
        if !useDefault, try r.boolArg(a[1]) { useDefault = !(try Ops.truthy(value)) }
        if useDefault {
            return a[0] ?? .string("")
        }
        return value
    }

    static func attr(_ r: Renderer, _ name: String, _ value: Value, _ args: [Value], _ kw: [KwArg]) throws(TemplateError) -> Value {
        let a = try bindArgs(name, args, kw, "name", required: 1)
        let attrName = try a[0]!.str()
        if case .undefined(let u) = value { throw u.error }
        if let v = r.pyGetattr(value, attrName) { return v }
        return .undefined(UndefinedInfo(name: attrName, owner: value.objectTypeRepr, strict: r.strict))
    }
}
