/// Tokenizer following Jinja2's `Lexer.tokeniter` state machine (root / variable /
/// block / comment / raw), including whitespace control (`-`, `+`), `trim_blocks`,
/// `lstrip_blocks` and brace balancing. Works on UTF-8 bytes for speed.
struct Lexer {
    let src: [UInt8]
    let options: TemplateOptions
    private var pos = 0
    private var tokens: [Token] = []
    /// Whether the previous regex match (in Jinja2 terms) ended with a newline; needed by lstrip_blocks.
    private var lineStarting = true
    private var balancing: [UInt8] = []

    init(source: [UInt8], options: TemplateOptions) {
        self.src = source
        self.options = options
    }

    /// Jinja2 normalizes every `\r\n` / `\r` to `\n` and drops one trailing newline
    /// unless `keep_trailing_newline` is set.
    static func normalize(_ source: String, keepTrailingNewline: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(source.utf8.count)
        var prevCR = false
        for b in source.utf8 {
            if b == 13 { out.append(10); prevCR = true; continue }
            if b == 10 && prevCR { prevCR = false; continue }
            prevCR = false
            out.append(b)
        }
        if !keepTrailingNewline, out.last == 10 { out.removeLast() }
        return out
    }

    private func fail(_ message: String, at offset: Int) -> TemplateError {
        var e = TemplateError.syntax(message)
        e.sourceOffset = offset  // resolved to line/column by Template
        return e
    }

    mutating func tokenize() throws(TemplateError) -> [Token] {
        let n = src.count
        while pos < n {
            try lexRoot()
        }
        tokens.append(Token(kind: .eof, offset: n))
        return tokens
    }

    // MARK: root state

    private mutating func lexRoot() throws(TemplateError) {
        let n = src.count
        var p = pos
        var tagStart = -1
        while p + 1 < n {
            if src[p] == UInt8(ascii: "{") {
                let c = src[p + 1]
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "%") || c == UInt8(ascii: "#") { tagStart = p; break }
            }
            p += 1
        }
        if tagStart < 0 {
            emitData(pos, n)
            lineStarting = src[n - 1] == 10
            pos = n
            return
        }
        let kindByte = src[tagStart + 1]
        var afterOpen = tagStart + 2
        var sign: UInt8 = 0
        if afterOpen < n, src[afterOpen] == UInt8(ascii: "-") || src[afterOpen] == UInt8(ascii: "+") {
            sign = src[afterOpen]
            afterOpen += 1
        }
        let rawEnd = kindByte == UInt8(ascii: "%") ? matchRawBegin(from: afterOpen) : nil

        // Data before the tag, with whitespace control applied.
        var textEnd = tagStart
        if sign == UInt8(ascii: "-") {
            textEnd = rstripEnd(pos, tagStart)
        } else if sign != UInt8(ascii: "+") && options.lstripBlocks && kindByte != UInt8(ascii: "{") {
            textEnd = lstripBlocksEnd(pos, tagStart)
        }
        emitData(pos, textEnd)

        if let rawEnd {
            lineStarting = src[rawEnd - 1] == 10
            pos = rawEnd
            try lexRawBody()
            return
        }
        lineStarting = false
        pos = afterOpen
        switch kindByte {
        case UInt8(ascii: "#"): try lexComment(start: tagStart)
        case UInt8(ascii: "{"):
            tokens.append(Token(kind: .variableBegin, offset: tagStart))
            try lexTag(isBlock: false, start: tagStart)
        default:
            tokens.append(Token(kind: .blockBegin, offset: tagStart))
            try lexTag(isBlock: true, start: tagStart)
        }
    }

    private mutating func emitData(_ a: Int, _ b: Int) {
        if b > a {
            tokens.append(Token(kind: .data(String(decoding: src[a..<b], as: UTF8.self)), offset: a))
        }
    }

    /// End index of `src[a..<b]` after Python's `str.rstrip()`.
    private func rstripEnd(_ a: Int, _ b: Int) -> Int {
        var e = b
        while e > a {
            // Walk back one scalar and test it.
            var s = e - 1
            while s > a && (src[s] & 0xC0) == 0x80 { s -= 1 }
            if PyChar.whitespaceLength(src, s) == e - s { e = s } else { break }
        }
        return e
    }

    /// lstrip_blocks: strip spaces between the last newline (or the start of a line) and the tag.
    private func lstripBlocksEnd(_ a: Int, _ b: Int) -> Int {
        var lpos = a
        var i = b - 1
        while i >= a {
            if src[i] == 10 { lpos = i + 1; break }
            i -= 1
        }
        if !(lpos > a || lineStarting) { return b }
        if lpos == b { return b }  // `\s+` needs at least one character
        var j = lpos
        while j < b {
            let w = PyChar.whitespaceLength(src, j)
            if w == 0 { return b }
            j += w
        }
        return lpos
    }

    private func skipWhitespace(_ i: Int) -> Int {
        var j = i
        while j < src.count {
            let w = PyChar.whitespaceLength(src, j)
            if w == 0 { break }
            j += w
        }
        return j
    }

    private func hasPrefix(_ s: StaticString, at i: Int) -> Bool {
        let len = s.utf8CodeUnitCount
        if i + len > src.count { return false }
        let p = s.utf8Start
        for k in 0..<len where src[i + k] != p[k] { return false }
        return true
    }

    /// `{%[-+]?\s*raw\s*(-%}\s*|%})` — returns the end of the match.
    private func matchRawBegin(from i: Int) -> Int? {
        var j = skipWhitespace(i)
        guard hasPrefix("raw", at: j) else { return nil }
        j = skipWhitespace(j + 3)
        if hasPrefix("-%}", at: j) { return skipWhitespace(j + 3) }
        if hasPrefix("%}", at: j) { return j + 2 }
        return nil
    }

    private mutating func lexRawBody() throws(TemplateError) {
        let n = src.count
        var q = pos
        while q + 1 < n {
            if src[q] == UInt8(ascii: "{") && src[q + 1] == UInt8(ascii: "%") {
                var j = q + 2
                var sign: UInt8 = 0
                if j < n, src[j] == UInt8(ascii: "-") || src[j] == UInt8(ascii: "+") { sign = src[j]; j += 1 }
                j = skipWhitespace(j)
                if hasPrefix("endraw", at: j) {
                    j = skipWhitespace(j + 6)
                    var end = -1
                    if hasPrefix("+%}", at: j) { end = j + 3 }
                    else if hasPrefix("-%}", at: j) { end = skipWhitespace(j + 3) }
                    else if hasPrefix("%}", at: j) {
                        end = j + 2
                        if options.trimBlocks && end < n && src[end] == 10 { end += 1 }
                    }
                    if end >= 0 {
                        var textEnd = q
                        if sign == UInt8(ascii: "-") { textEnd = rstripEnd(pos, q) }
                        else if sign != UInt8(ascii: "+") && options.lstripBlocks { textEnd = lstripBlocksEnd(pos, q) }
                        emitData(pos, textEnd)
                        lineStarting = src[end - 1] == 10
                        pos = end
                        return
                    }
                }
            }
            q += 1
        }
        throw fail("Missing end of raw directive", at: pos)
    }

    private mutating func lexComment(start: Int) throws(TemplateError) {
        let n = src.count
        var q = pos
        while q < n {
            let c = src[q]
            if (c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && hasPrefix("#}", at: q + 1) {
                let end = c == UInt8(ascii: "-") ? skipWhitespace(q + 3) : q + 3
                lineStarting = src[end - 1] == 10
                pos = end
                return
            }
            if c == UInt8(ascii: "#") && q + 1 < n && src[q + 1] == UInt8(ascii: "}") {
                var end = q + 2
                if options.trimBlocks && end < n && src[end] == 10 { end += 1 }
                lineStarting = src[end - 1] == 10
                pos = end
                return
            }
            q += 1
        }
        throw fail("Missing end of comment tag", at: start)
    }

    // MARK: variable / block state

    private mutating func lexTag(isBlock: Bool, start: Int) throws(TemplateError) {
        let n = src.count
        balancing.removeAll(keepingCapacity: true)
        while true {
            if pos >= n { return }  // parser reports the unexpected end
            if balancing.isEmpty {
                if isBlock {
                    if hasPrefix("+%}", at: pos) { return finishTag(.blockEnd, pos, pos + 3) }
                    if hasPrefix("-%}", at: pos) { return finishTag(.blockEnd, pos, skipWhitespace(pos + 3)) }
                    if hasPrefix("%}", at: pos) {
                        var end = pos + 2
                        if options.trimBlocks && end < n && src[end] == 10 { end += 1 }
                        return finishTag(.blockEnd, pos, end)
                    }
                } else {
                    if hasPrefix("-}}", at: pos) { return finishTag(.variableEnd, pos, skipWhitespace(pos + 3)) }
                    if hasPrefix("}}", at: pos) { return finishTag(.variableEnd, pos, pos + 2) }
                }
            }
            let ws = skipWhitespace(pos)
            if ws > pos { lineStarting = src[ws - 1] == 10; pos = ws; continue }
            lineStarting = false
            let c = src[pos]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                if let (tok, end) = try lexNumber() { tokens.append(Token(kind: tok, offset: pos)); pos = end; continue }
            }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                if let end = stringEnd(pos) {
                    let value = try decodeString(pos + 1, end - 1)
                    tokens.append(Token(kind: .string(value), offset: pos))
                    pos = end
                    continue
                }
                throw fail("unexpected char '\(Character(Unicode.Scalar(c)))' at \(pos)", at: pos)
            }
            let w = PyChar.wordLength(src, pos)
            if w > 0 {
                let name = String(decoding: src[pos..<(pos + w)], as: UTF8.self)
                if let first = name.unicodeScalars.first, !(first == "_" || first.properties.isXIDStart) {
                    throw fail("Invalid character in identifier", at: pos)
                }
                tokens.append(Token(kind: .name(name), offset: pos))
                pos += w
                continue
            }
            if let (op, len) = matchOperator(pos) {
                try balance(op, at: pos)
                tokens.append(Token(kind: .op(op), offset: pos))
                pos += len
                continue
            }
            let scalar = String(decoding: src[pos..<min(n, pos + PyChar.scalarLength(src[pos]))], as: UTF8.self)
            throw fail("unexpected char \(PyRepr.string(scalar)) at \(pos)", at: pos)
        }
    }

    private mutating func finishTag(_ kind: TokenKind, _ at: Int, _ end: Int) {
        tokens.append(Token(kind: kind, offset: at))
        lineStarting = src[end - 1] == 10
        pos = end
    }

    private mutating func balance(_ op: Operator, at: Int) throws(TemplateError) {
        switch op {
        case .lbrace: balancing.append(UInt8(ascii: "}"))
        case .lparen: balancing.append(UInt8(ascii: ")"))
        case .lbracket: balancing.append(UInt8(ascii: "]"))
        case .rbrace, .rparen, .rbracket:
            let ch = UInt8(ascii: op.rawValue.unicodeScalars.first!)
            guard let expected = balancing.popLast() else {
                throw fail("unexpected '\(op.rawValue)'", at: at)
            }
            if expected != ch {
                throw fail("unexpected '\(op.rawValue)', expected '\(Character(Unicode.Scalar(expected)))'", at: at)
            }
        default: break
        }
    }

    private func matchOperator(_ i: Int) -> (Operator, Int)? {
        let c = src[i]
        let d: UInt8 = i + 1 < src.count ? src[i + 1] : 0
        switch (c, d) {
        case (UInt8(ascii: "/"), UInt8(ascii: "/")): return (.floordiv, 2)
        case (UInt8(ascii: "*"), UInt8(ascii: "*")): return (.pow, 2)
        case (UInt8(ascii: "="), UInt8(ascii: "=")): return (.eq, 2)
        case (UInt8(ascii: "!"), UInt8(ascii: "=")): return (.ne, 2)
        case (UInt8(ascii: ">"), UInt8(ascii: "=")): return (.gteq, 2)
        case (UInt8(ascii: "<"), UInt8(ascii: "=")): return (.lteq, 2)
        default: break
        }
        switch c {
        case UInt8(ascii: "+"): return (.add, 1)
        case UInt8(ascii: "-"): return (.sub, 1)
        case UInt8(ascii: "/"): return (.div, 1)
        case UInt8(ascii: "*"): return (.mul, 1)
        case UInt8(ascii: "%"): return (.mod, 1)
        case UInt8(ascii: "~"): return (.tilde, 1)
        case UInt8(ascii: "["): return (.lbracket, 1)
        case UInt8(ascii: "]"): return (.rbracket, 1)
        case UInt8(ascii: "("): return (.lparen, 1)
        case UInt8(ascii: ")"): return (.rparen, 1)
        case UInt8(ascii: "{"): return (.lbrace, 1)
        case UInt8(ascii: "}"): return (.rbrace, 1)
        case UInt8(ascii: ">"): return (.gt, 1)
        case UInt8(ascii: "<"): return (.lt, 1)
        case UInt8(ascii: "="): return (.assign, 1)
        case UInt8(ascii: "."): return (.dot, 1)
        case UInt8(ascii: ":"): return (.colon, 1)
        case UInt8(ascii: "|"): return (.pipe, 1)
        case UInt8(ascii: ","): return (.comma, 1)
        case UInt8(ascii: ";"): return (.semicolon, 1)
        default: return nil
        }
    }

    // MARK: numbers

    private func isDigit(_ i: Int) -> Bool { i < src.count && src[i] >= 48 && src[i] <= 57 }

    /// Matches `(\d+_)*\d+` at i; returns end or nil.
    private func digitGroups(_ i: Int) -> Int? {
        guard isDigit(i) else { return nil }
        var j = i
        while true {
            while isDigit(j) { j += 1 }
            if j < src.count && src[j] == UInt8(ascii: "_") && isDigit(j + 1) { j += 1; continue }
            return j
        }
    }

    private func exponent(_ i: Int) -> Int? {
        guard i < src.count, src[i] | 0x20 == UInt8(ascii: "e") else { return nil }
        var j = i + 1
        if j < src.count, src[j] == UInt8(ascii: "+") || src[j] == UInt8(ascii: "-") { j += 1 }
        return digitGroups(j)
    }

    private func lexNumber() throws(TemplateError) -> (TokenKind, Int)? {
        // float_re first (with its `(?<!\.)` look-behind), then integer_re, like Jinja2.
        if pos == 0 || src[pos - 1] != UInt8(ascii: ".") {
            if let intEnd = digitGroups(pos) {
                var floatEnd: Int? = nil
                var frac: Int? = nil
                if intEnd < src.count, src[intEnd] == UInt8(ascii: "."), let f = digitGroups(intEnd + 1) { frac = f }
                if let e = exponent(frac ?? intEnd) { floatEnd = e } else if let f = frac { floatEnd = f }
                if let end = floatEnd {
                    let text = String(decoding: src[pos..<end].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
                    guard let v = Double(text) else { throw fail("invalid float literal", at: pos) }
                    return (.float(v), end)
                }
            }
        }
        let c = src[pos]
        if c == UInt8(ascii: "0"), pos + 1 < src.count {
            let p = src[pos + 1] | 0x20
            let radix: Int? = p == UInt8(ascii: "b") ? 2 : p == UInt8(ascii: "o") ? 8 : p == UInt8(ascii: "x") ? 16 : nil
            if let radix {
                var j = pos + 2
                var digits: [UInt8] = []
                while j < src.count {
                    var k = j
                    if src[k] == UInt8(ascii: "_") { k += 1 }
                    guard k < src.count, let dv = hexValue(src[k]), dv < radix else { break }
                    digits.append(src[k])
                    j = k + 1
                }
                if !digits.isEmpty {
                    guard let v = Int(String(decoding: digits, as: UTF8.self), radix: radix) else {
                        throw fail("integer literal too large", at: pos)
                    }
                    return (.integer(v), j)
                }
            }
        }
        if c == UInt8(ascii: "0") {
            var j = pos + 1
            while true {
                if j < src.count && src[j] == UInt8(ascii: "0") { j += 1; continue }
                if j + 1 < src.count && src[j] == UInt8(ascii: "_") && src[j + 1] == UInt8(ascii: "0") { j += 2; continue }
                break
            }
            return (.integer(0), j)
        }
        // [1-9](_?\d)*
        var j = pos + 1
        while true {
            if isDigit(j) { j += 1; continue }
            if j + 1 < src.count && src[j] == UInt8(ascii: "_") && isDigit(j + 1) { j += 2; continue }
            break
        }
        let text = String(decoding: src[pos..<j].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        guard let v = Int(text) else { throw fail("integer literal too large (only 64-bit integers are supported)", at: pos) }
        return (.integer(v), j)
    }

    private func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 48...57: return Int(b - 48)
        case 97...102: return Int(b - 87)
        case 65...70: return Int(b - 55)
        default: return nil
        }
    }

    // MARK: strings

    /// End (exclusive, after the closing quote) of the string literal starting at i.
    private func stringEnd(_ i: Int) -> Int? {
        let q = src[i]
        var j = i + 1
        while j < src.count {
            let c = src[j]
            if c == UInt8(ascii: "\\") { j += 2; continue }
            if c == q { return j + 1 }
            j += 1
        }
        return nil
    }

    /// Python's `s.encode("ascii", "backslashreplace").decode("unicode-escape")`.
    private func decodeString(_ a: Int, _ b: Int) throws(TemplateError) -> String {
        var out = String.UnicodeScalarView()
        let text = String(decoding: src[a..<b], as: UTF8.self)
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func hex(_ start: Int, _ count: Int) -> UInt32? {
            guard start + count <= scalars.count else { return nil }
            var v: UInt32 = 0
            for k in start..<(start + count) {
                guard scalars[k].isASCII, let d = Int(String(scalars[k]), radix: 16) else { return nil }
                v = v * 16 + UInt32(d)
            }
            return v
        }
        while i < scalars.count {
            let s = scalars[i]
            if s != "\\" { out.append(s); i += 1; continue }
            guard i + 1 < scalars.count else { throw fail("\\ at end of string", at: a) }
            let e = scalars[i + 1]
            if !e.isASCII {
                // backslashreplace turns the scalar into `\xNN`/`\uNNNN`/`\UNNNNNNNN`; the preceding
                // backslash then escapes the inserted one.
                out.append("\\")
                let v = e.value
                let (prefix, width): (String, Int) = v < 0x100 ? ("x", 2) : v < 0x10000 ? ("u", 4) : ("U", 8)
                var h = String(v, radix: 16)
                while h.count < width { h = "0" + h }
                out.append(contentsOf: (prefix + h).unicodeScalars)
                i += 2
                continue
            }
            i += 2
            switch e {
            case "\n": break
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append(Unicode.Scalar(7))
            case "b": out.append(Unicode.Scalar(8))
            case "f": out.append(Unicode.Scalar(12))
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append(Unicode.Scalar(11))
            case "0"..."7":
                var v = e.value - 48
                var k = 0
                while k < 2, i < scalars.count, scalars[i].value >= 48, scalars[i].value <= 55 {
                    v = v * 8 + scalars[i].value - 48
                    i += 1; k += 1
                }
                out.append(Unicode.Scalar(v)!)
            case "x", "u", "U":
                let count = e == "x" ? 2 : e == "u" ? 4 : 8
                guard let v = hex(i, count) else {
                    throw fail("truncated \\\(e)\(String(repeating: "X", count: count)) escape", at: a)
                }
                guard let sc = Unicode.Scalar(v) else {
                    if v >= 0xD800 && v <= 0xDFFF { out.append("\u{FFFD}"); i += count; continue }
                    throw fail("illegal Unicode character", at: a)
                }
                out.append(sc)
                i += count
            case "N":
                throw fail("\\N{...} escapes are not supported", at: a)
            default:
                out.append("\\")
                out.append(e)
            }
        }
        return String(out)
    }
}
