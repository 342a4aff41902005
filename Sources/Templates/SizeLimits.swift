/// Size limits on the strings a render builds, not only on what it writes.
extension Renderer {
    /// Strings built while rendering (joins, replacements, paddings, concatenations) are held to
    /// the output limit too: a value that large could never be written out, and building one is
    /// how a short template exhausts time and memory (`s ~ s` in a loop, a join with a long
    /// separator). Found by FuzzTemplates.
    @inline(__always)
    func checkSize(_ bytes: Int) throws(TemplateError) {
        if bytes > maxOutput { throw .limit("a string of \(bytes) bytes exceeds the output size limit of \(maxOutput) bytes") }
    }

    @inline(__always)
    func checkSize(_ value: Value) throws(TemplateError) -> Value {
        switch value {
        case .string(let s), .markup(let s): try checkSize(s.utf8.count)
        // Lists count 8 bytes an item, as sequence repetition does (`l + l` in a loop).
        case .list(let l) where l.items.count > maxOutput / 8: try checkSize(l.items.count * 8)
        case .tuple(let t) where t.count > maxOutput / 8: try checkSize(t.count * 8)
        default: break
        }
        return value
    }

    /// Bytes of `parts` joined by `separator`, computed before joining.
    func joinedSize(_ parts: [String], separator: String) -> Int {
        var total = parts.count > 1 ? multiplied(parts.count - 1, separator.utf8.count) : 0
        for part in parts { total = total.addingReportingOverflow(part.utf8.count).overflow ? .max : total + part.utf8.count }
        return total
    }

    /// Bytes of `s` after `replace(old, new, count)` (Python's rules: an empty `old` matches
    /// between every character), computed before replacing.
    func replacedSize(_ s: String, _ old: String, _ new: String, count: Int) -> Int {
        guard new.utf8.count > old.utf8.count else { return s.utf8.count }
        var matches = PyStr.count(s, old)
        if count >= 0 { matches = min(matches, count) }
        let grown = multiplied(matches, new.utf8.count - old.utf8.count)
        return grown > Int.max - s.utf8.count ? .max : s.utf8.count + grown
    }

    private func multiplied(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : product
    }
}
