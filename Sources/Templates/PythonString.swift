#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Python `str` semantics on Swift strings. Python indexes and measures strings by
/// code point, so everything here works on Unicode scalars, never on Swift `Character`s.
enum PyChar {
    /// Byte length of the UTF-8 sequence introduced by `lead`.
    @inline(__always)
    static func scalarLength(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    /// Python `str.isspace()` / regex `\s` for one scalar.
    @inline(__always)
    static func isSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    static func isSpace(_ s: Unicode.Scalar) -> Bool { isSpace(s.value) }

    /// Length in bytes of a Python whitespace scalar at byte offset i, or 0.
    static func whitespaceLength(_ b: [UInt8], _ i: Int) -> Int {
        guard i < b.count else { return 0 }
        let c = b[i]
        if c < 0x80 { return isSpace(UInt32(c)) ? 1 : 0 }
        guard let (v, len) = decode(b, i) else { return 0 }
        return isSpace(v) ? len : 0
    }

    static func decode(_ b: [UInt8], _ i: Int) -> (UInt32, Int)? {
        let c = b[i]
        let len = scalarLength(c)
        guard i + len <= b.count else { return nil }
        var v: UInt32
        switch len {
        case 1: return (UInt32(c), 1)
        case 2: v = UInt32(c & 0x1F)
        case 3: v = UInt32(c & 0x0F)
        default: v = UInt32(c & 0x07)
        }
        for k in 1..<len { v = (v << 6) | UInt32(b[i + k] & 0x3F) }
        return (v, len)
    }

    /// Python `str.isalpha()` for one scalar (categories L*).
    static func isAlpha(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            let v = s.value
            return (v >= 65 && v <= 90) || (v >= 97 && v <= 122)
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isDecimal(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s.value >= 48 && s.value <= 57 }
        return s.properties.numericType == .decimal
    }

    static func isDigit(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s.value >= 48 && s.value <= 57 }
        let t = s.properties.numericType
        return t == .decimal || t == .digit
    }

    static func isNumeric(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s.value >= 48 && s.value <= 57 }
        return s.properties.numericType != nil
    }

    /// Python regex `\w` (str patterns): alphanumerics and underscore.
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        s == "_" || isAlpha(s) || isNumeric(s)
    }

    /// Characters allowed in a Jinja2 name token (`\w` plus combining marks and connectors).
    static func isNameChar(_ s: Unicode.Scalar) -> Bool {
        if isWord(s) { return true }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .connectorPunctuation: return true
        default: return s.properties.isXIDContinue
        }
    }

    /// Byte length of a run of name characters at i.
    static func wordLength(_ b: [UInt8], _ i: Int) -> Int {
        var j = i
        while j < b.count {
            let c = b[j]
            if c < 0x80 {
                if (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 { j += 1; continue }
                break
            }
            guard let (v, len) = decode(b, j), let s = Unicode.Scalar(v), isNameChar(s) else { break }
            j += len
        }
        return j - i
    }

    static func isCased(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return isAlpha(s) }
        return s.properties.isCased
    }

    static func isLowercase(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s.value >= 97 && s.value <= 122 }
        return s.properties.isLowercase
    }

    static func isUppercase(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s.value >= 65 && s.value <= 90 }
        return s.properties.isUppercase
    }

    /// Python `str.splitlines()` line boundaries.
    static func isLineBreak(_ v: UInt32) -> Bool {
        switch v {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }
}

/// Python string methods used by filters and by method calls in templates.
enum PyStr {
    @inline(__always)
    static func len(_ s: String) -> Int { s.unicodeScalars.count }

    static func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }

    static func make<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: scalars)
        return String(v)
    }

    /// Exact code-point equality (Swift `==` would apply canonical equivalence).
    @inline(__always)
    static func equal(_ a: String, _ b: String) -> Bool {
        let n = a.utf8.count
        if n != b.utf8.count { return false }
        if n == 0 { return true }
        let r = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb in memcmp(pa.baseAddress!, pb.baseAddress!, n) == 0 }
        }
        if let r, let r { return r }
        return a.utf8.elementsEqual(b.utf8)
    }

    /// Code-point ordering; UTF-8 byte order equals code-point order.
    static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    static func upper(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return s.uppercased() }
        var out = ""
        for sc in s.unicodeScalars { out += sc.properties.uppercaseMapping }
        return out
    }

    static func lower(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return s.lowercased() }
        var out = ""
        for sc in s.unicodeScalars { out += sc.properties.lowercaseMapping }
        return out
    }

    static func titleScalar(_ sc: Unicode.Scalar) -> String {
        if sc.isASCII { return String(sc).uppercased() }
        return sc.properties.titlecaseMapping
    }

    static func upperScalar(_ sc: Unicode.Scalar) -> String {
        if sc.isASCII { return String(sc).uppercased() }
        return sc.properties.uppercaseMapping
    }

    /// Python `str.capitalize()`: first character title-cased, the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        var it = s.unicodeScalars.makeIterator()
        guard let first = it.next() else { return "" }
        var out = titleScalar(first)
        var rest = String.UnicodeScalarView()
        while let c = it.next() { rest.append(c) }
        out += lower(String(rest))
        return out
    }

    /// Python `str.title()`.
    static func title(_ s: String) -> String {
        var out = ""
        var prevCased = false
        for c in s.unicodeScalars {
            if prevCased { out += c.isASCII ? String(c).lowercased() : c.properties.lowercaseMapping }
            else { out += titleScalar(c) }
            prevCased = PyChar.isCased(c)
        }
        return out
    }

    static func swapcase(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if PyChar.isUppercase(c) { out += lower(String(c)) }
            else if PyChar.isLowercase(c) { out += upper(String(c)) }
            else { out.unicodeScalars.append(c) }
        }
        return out
    }

    /// Python `str.strip/lstrip/rstrip(chars=None)`.
    static func strip(_ s: String, chars: String?, left: Bool = true, right: Bool = true) -> String {
        if chars == nil, let f = s.utf8.first, let l = s.utf8.last, f < 0x80, l < 0x80,
           !PyChar.isSpace(UInt32(f)) || !left, !PyChar.isSpace(UInt32(l)) || !right {
            return s  // fast path: nothing to strip
        }
        let sc = s.unicodeScalars
        let set: Set<UInt32>? = chars.map { Set($0.unicodeScalars.map { $0.value }) }
        func strippable(_ c: Unicode.Scalar) -> Bool {
            if let set { return set.contains(c.value) }
            return PyChar.isSpace(c)
        }
        var start = sc.startIndex
        var end = sc.endIndex
        if left { while start < end && strippable(sc[start]) { start = sc.index(after: start) } }
        if right {
            while end > start {
                let p = sc.index(before: end)
                if strippable(sc[p]) { end = p } else { break }
            }
        }
        if start == sc.startIndex && end == sc.endIndex { return s }
        return String(sc[start..<end])
    }

    /// Python `str.split(sep=None, maxsplit=-1)`.
    static func split(_ s: String, sep: String?, maxsplit: Int = -1) -> [String] {
        let sc = Array(s.unicodeScalars)
        var result: [String] = []
        if let sep {
            let sp = Array(sep.unicodeScalars)
            var start = 0
            var i = 0
            var splits = 0
            while i + sp.count <= sc.count {
                if (maxsplit < 0 || splits < maxsplit) && sc[i..<(i + sp.count)].elementsEqual(sp) {
                    result.append(make(sc[start..<i]))
                    i += sp.count
                    start = i
                    splits += 1
                } else {
                    i += 1
                }
            }
            result.append(make(sc[start...]))
            return result
        }
        var i = 0
        var splits = 0
        while i < sc.count {
            while i < sc.count && PyChar.isSpace(sc[i]) { i += 1 }
            if i >= sc.count { break }
            if maxsplit >= 0 && splits >= maxsplit {
                var end = sc.count
                while end > i && PyChar.isSpace(sc[end - 1]) { end -= 1 }
                result.append(make(sc[i..<end]))
                return result
            }
            let start = i
            while i < sc.count && !PyChar.isSpace(sc[i]) { i += 1 }
            result.append(make(sc[start..<i]))
            splits += 1
        }
        return result
    }

    /// Python `str.rsplit(sep=None, maxsplit=-1)`.
    static func rsplit(_ s: String, sep: String?, maxsplit: Int = -1) -> [String] {
        if maxsplit < 0 { return split(s, sep: sep, maxsplit: -1) }
        let sc = Array(s.unicodeScalars)
        var result: [String] = []
        if let sep {
            let sp = Array(sep.unicodeScalars)
            var end = sc.count
            var i = sc.count - sp.count
            var splits = 0
            while i >= 0 && splits < maxsplit {
                if sc[i..<(i + sp.count)].elementsEqual(sp) {
                    result.append(make(sc[(i + sp.count)..<end]))
                    end = i
                    i -= sp.count
                    splits += 1
                } else {
                    i -= 1
                }
            }
            result.append(make(sc[0..<end]))
            return result.reversed()
        }
        var i = sc.count
        var splits = 0
        while i > 0 {
            while i > 0 && PyChar.isSpace(sc[i - 1]) { i -= 1 }
            if i == 0 { break }
            if splits >= maxsplit {
                var start = 0
                while start < i && PyChar.isSpace(sc[start]) { start += 1 }
                result.append(make(sc[start..<i]))
                return result.reversed()
            }
            let end = i
            while i > 0 && !PyChar.isSpace(sc[i - 1]) { i -= 1 }
            result.append(make(sc[i..<end]))
            splits += 1
        }
        return result.reversed()
    }

    /// Python `str.splitlines(keepends=False)`.
    static func splitlines(_ s: String, keepends: Bool = false) -> [String] {
        let sc = Array(s.unicodeScalars)
        var result: [String] = []
        var start = 0
        var i = 0
        while i < sc.count {
            let v = sc[i].value
            if PyChar.isLineBreak(v) {
                var eol = i + 1
                if v == 0x0D && i + 1 < sc.count && sc[i + 1].value == 0x0A { eol = i + 2 }
                result.append(make(sc[start..<(keepends ? eol : i)]))
                start = eol
                i = eol
            } else {
                i += 1
            }
        }
        if start < sc.count { result.append(make(sc[start...])) }
        return result
    }

    /// Python `str.replace(old, new, count=-1)`.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        if count == 0 { return s }
        let sc = Array(s.unicodeScalars)
        let o = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView()
        let n = Array(new.unicodeScalars)
        var done = 0
        if o.isEmpty {
            // Python inserts `new` before every character and at the end.
            for c in sc {
                if count < 0 || done < count { out.append(contentsOf: n); done += 1 }
                out.append(c)
            }
            if count < 0 || done < count { out.append(contentsOf: n) }
            return String(out)
        }
        var i = 0
        while i < sc.count {
            if (count < 0 || done < count) && i + o.count <= sc.count && sc[i] == o[0] && sc[i..<(i + o.count)].elementsEqual(o) {
                out.append(contentsOf: n)
                i += o.count
                done += 1
            } else {
                out.append(sc[i])
                i += 1
            }
        }
        return String(out)
    }

    /// Index (in scalars) of `needle` in `hay[start..<end]`, like Python `str.find`.
    static func find(_ hay: [Unicode.Scalar], _ needle: [Unicode.Scalar], start: Int = 0, end: Int? = nil, reverse: Bool = false) -> Int {
        let e = min(end ?? hay.count, hay.count)
        let s = max(0, start)
        if needle.count > e - s { return -1 }
        if reverse {
            var i = e - needle.count
            while i >= s {
                if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
                i -= 1
            }
            return -1
        }
        var i = s
        while i + needle.count <= e {
            if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return -1
    }

    static func count(_ hay: String, _ needle: String) -> Int {
        let h = Array(hay.unicodeScalars)
        let n = Array(needle.unicodeScalars)
        if n.isEmpty { return h.count + 1 }
        var c = 0
        var i = 0
        while i + n.count <= h.count {
            if h[i..<(i + n.count)].elementsEqual(n) { c += 1; i += n.count } else { i += 1 }
        }
        return c
    }

    static func contains(_ hay: String, _ needle: String) -> Bool {
        if needle.isEmpty { return true }
        return find(Array(hay.unicodeScalars), Array(needle.unicodeScalars)) >= 0
    }

    static func hasPrefix(_ s: String, _ p: String) -> Bool {
        s.utf8.starts(with: p.utf8)
    }

    static func hasSuffix(_ s: String, _ p: String) -> Bool {
        s.utf8.count >= p.utf8.count && s.utf8.reversed().starts(with: p.utf8.reversed())
    }

    /// Python `str.center(width, fillchar)`.
    static func center(_ s: String, _ width: Int, fill: Unicode.Scalar = " ") -> String {
        let n = len(s)
        if width <= n { return s }
        let marg = width - n
        let left = marg / 2 + (marg & width & 1)
        var out = String.UnicodeScalarView()
        out.append(contentsOf: repeatElement(fill, count: left))
        out.append(contentsOf: s.unicodeScalars)
        out.append(contentsOf: repeatElement(fill, count: marg - left))
        return String(out)
    }

    static func ljust(_ s: String, _ width: Int, fill: Unicode.Scalar = " ") -> String {
        let n = len(s)
        if width <= n { return s }
        return s + String(repeating: String(fill), count: width - n)
    }

    static func rjust(_ s: String, _ width: Int, fill: Unicode.Scalar = " ") -> String {
        let n = len(s)
        if width <= n { return s }
        return String(repeating: String(fill), count: width - n) + s
    }

    static func isLower(_ s: String) -> Bool {
        var cased = false
        for c in s.unicodeScalars {
            if PyChar.isUppercase(c) || c.properties.generalCategory == .titlecaseLetter { return false }
            if PyChar.isLowercase(c) { cased = true }
        }
        return cased
    }

    static func isUpper(_ s: String) -> Bool {
        var cased = false
        for c in s.unicodeScalars {
            if PyChar.isLowercase(c) || c.properties.generalCategory == .titlecaseLetter { return false }
            if PyChar.isUppercase(c) { cased = true }
        }
        return cased
    }

    /// Python slicing semantics `s[start:stop:step]` on a scalar array.
    static func sliceIndices(count: Int, start: Int?, stop: Int?, step: Int) -> [Int] {
        var out: [Int] = []
        let (s, e) = sliceBounds(count: count, start: start, stop: stop, step: step)
        if step > 0 {
            var i = s
            while i < e { out.append(i); i += step }
        } else {
            var i = s
            while i > e { out.append(i); i += step }
        }
        return out
    }

    /// CPython's `PySlice_AdjustIndices`.
    static func sliceBounds(count: Int, start: Int?, stop: Int?, step: Int) -> (Int, Int) {
        var s: Int
        var e: Int
        if step > 0 {
            s = start ?? 0
            e = stop ?? count
            if s < 0 { s += count; if s < 0 { s = 0 } } else if s > count { s = count }
            if e < 0 { e += count; if e < 0 { e = 0 } } else if e > count { e = count }
        } else {
            s = start ?? count - 1
            e = stop ?? -1 - count  // sentinel meaning "before index 0"
            if let st = start {
                s = st
                if s < 0 { s += count; if s < 0 { s = -1 } } else if s >= count { s = count - 1 }
            }
            if let sp = stop {
                e = sp
                if e < 0 { e += count; if e < 0 { e = -1 } } else if e >= count { e = count - 1 }
            } else {
                e = -1
            }
        }
        return (s, e)
    }
}
