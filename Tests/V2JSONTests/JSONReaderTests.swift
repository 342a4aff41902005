import Foundation
import InferWireCore
import NIOCore
import ProtoWire
import TestSupport
import Testing
import V2JSON

@Suite("JSON reader and writer")
struct JSONReaderTests {
    private func parse(_ text: String) throws -> JSONDocument {
        try JSONDocument.parse(ByteBuffer(string: text))
    }

    private func failure(_ text: String) -> String? {
        do {
            _ = try JSONDocument.parse(ByteBuffer(string: text))
            return nil
        } catch {
            return error.message
        }
    }

    @Test("numbers: integers are int (then uint), anything with a fraction or exponent is double")
    func numbers() throws {
        #expect(try parse("0") == .int(0))
        #expect(try parse("-0") == .int(0))
        #expect(try parse("9223372036854775807") == .int(.max))
        #expect(try parse("-9223372036854775808") == .int(.min))
        #expect(try parse("9223372036854775808") == .uint(9_223_372_036_854_775_808))
        #expect(try parse("18446744073709551615") == .uint(.max))
        #expect(try parse("18446744073709551616") == .double(18_446_744_073_709_551_616))
        #expect(try parse("-9223372036854775809") == .double(-9_223_372_036_854_775_809))
        #expect(try parse("1.0") == .double(1))
        #expect(try parse("1e2") == .double(100))
        #expect(try parse("-2.5E-3") == .double(-0.0025))
        #expect(try parse(" [1, 2.5, -3] ") == .array([.int(1), .double(2.5), .int(-3)]))
    }

    @Test("strings: every escape, surrogate pairs, raw UTF-8 kept")
    func strings() throws {
        #expect(try parse(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == .string("a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti"))
        #expect(try parse(#""\u00e9\u4e2d\ud83d\ude00""#) == .string("é中😀"))
        #expect(try parse("\"é中😀\"") == .string("é中😀"))
        #expect(try parse(#""""#) == .string(""))
    }

    @Test("objects: keys sorted, a repeated key keeps its last value; order kept on request")
    func objects() throws {
        let document = try parse(#"{"b": 1, "a": {"z": true, "y": null}, "b": 2}"#)
        #expect(document.serialized() == #"{"a":{"y":null,"z":true},"b":2}"#)
        let kept = try JSONDocument.parse(ByteBuffer(string: #"{"b":1,"a":2}"#), keepingKeyOrder: true)
        #expect(kept.serialized() == #"{"b":1,"a":2}"#)
    }

    @Test("errors say what was expected, what was found and where")
    func errors() {
        let cases: [(String, String)] = [
            ("", "expected a value, found the end of the text at line 1, column 1 (byte 0)"),
            (#"{"a":}"#, "expected a value, found '}' at line 1, column 6 (byte 5)"),
            ("{\n  \"a\": 1,\n  \"b\" 2}", "expected ':' after the key \"b\", found '2' at line 3, column 7 (byte 18)"),
            ("[1,]", "expected a value, found ']' at line 1, column 4 (byte 3)"),
            ("[1 2]", "expected ',' or ']' in an array, found '2'"),
            (#"{"a":1,}"#, "expected a string key, found '}'"),
            ("{'a':1}", "expected a string key, found '''"),
            ("01", "expected no leading zero"),
            ("1.", "expected a digit after '.', found the end of the text"),
            ("-", "expected a digit, found the end of the text"),
            ("1e", "expected a digit in the exponent"),
            ("1e400", "the number 1e400 at line 1, column 1 (byte 0) is out of range"),
            ("tru", "expected a value, found 't'"),
            ("nul", "expected a value, found 'n'"),
            ("[1] x", "expected text after the JSON value"),
            ("\"abc", "expected the closing '\"' of a string, found the end of the text"),
            ("\"a\nb\"", "expected an escaped control character"),
            (#""\x""#, "expected one of"),
            (#""\u12""#, "expected four hex digits after \\u"),
            (#""\ud800""#, "expected the low surrogate after \\ud800"),
            (#""\ud800\u0041""#, "expected a low surrogate"),
            (#""\udc00""#, "expected a high surrogate before a low one"),
            ("NaN", "expected a value, found 'N'"),
        ]
        for (text, expected) in cases {
            let message = failure(text)
            #expect(message?.contains(expected) == true, "\(text.debugDescription): \(message ?? "accepted")")
        }
        var invalid = ByteBuffer(string: "[\"ab")
        invalid.writeBytes([0xC3, 0x28, UInt8(ascii: "\""), UInt8(ascii: "]")])
        #expect(throws: JSONValue.SyntaxError.self) { try JSONDocument.parse(invalid) }
        #expect((try? JSONDocument.parse(invalid)) == nil)
        do {
            _ = try JSONDocument.parse(invalid)
        } catch {
            #expect(error.message == "the string starting at line 1, column 3 (byte 2) is not valid UTF-8")
        }
    }

    @Test("nesting: 512 levels read, 513 are refused with an error, not a crash")
    func depth() throws {
        let deep = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try parse(deep) }
        let deeper = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(failure(deeper)?.contains("nests deeper than 512 levels") == true)
    }

    /// A random value, written with random whitespace and random choices of escape (plain,
    /// `\uXXXX`, surrogate pairs), must read back as the same value; the same text must be
    /// accepted by Foundation's JSONSerialization, and every one-byte corruption of it accepted
    /// or refused by both alike.
    @Test("property: random documents in random spellings read back; corruptions agree with Foundation", arguments: 0..<8)
    func randomDocuments(seed: UInt64) throws {
        var random = SplitMix(seed: 0xC0FFEE &+ seed)
        for _ in 0..<150 {
            let value = Self.randomValue(depth: 0, &random)
            let text = Self.spell(value, &random)
            let read = try parse(text)
            #expect(read == Self.sortedKeys(value), "\(text)")
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil, "\(text)")

            var bytes = Array(text.utf8)
            let position = Int.random(in: 0..<bytes.count, using: &random)
            let replacements: [UInt8] = Array("{}[],:\"\\ 0-.eEtfnu".utf8) + [0x00, 0x0A, 0x7F, 0xC3, 0xFF]
            bytes[position] = replacements.randomElement(using: &random)!
            let ours = (try? JSONDocument.parse(ByteBuffer(bytes: bytes))) != nil
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
            // Foundation takes a trailing comma ("[1,]"), which RFC 8259 (and Python's json) refuse.
            if foundation && Self.hasTrailingComma(bytes) {
                #expect(!ours)
                continue
            }
            #expect(ours == foundation, "\(String(decoding: bytes, as: UTF8.self).debugDescription): ours \(ours), Foundation \(foundation)")
        }
    }

    @Test("the writer: escapes through the one escaper, base64 in place, integral doubles keep .0")
    func writer() {
        var writer = JSONWriter()
        writer.raw("[")
        writer.string("q\"b\\n\n\u{1}é")
        writer.raw(",")
        writer.base64(ByteBuffer(bytes: [0, 1, 2, 250, 251, 252, 253]))
        writer.raw(",")
        writer.double(3)
        writer.raw(",")
        writer.double(-0.0)
        writer.raw(",")
        writer.double(0.1)
        writer.raw(",")
        writer.double(.infinity)
        writer.raw("]")
        #expect(String(buffer: writer.buffer) == #"["q\"b\\n\n\u0001é","AAEC+vv8/Q==",3.0,-0.0,0.1,null]"#)
        #expect(JSONString.quoted("a\u{7}b\tc") == #""a\u0007b\tc""#)
    }

    // MARK: Random documents

    private static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        var lastSignificant: UInt8 = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}"), lastSignificant == UInt8(ascii: ",") { return true }
            if byte == UInt8(ascii: "\"") { inString = true }
            if ![0x20, 0x0A, 0x0D, 0x09].contains(byte) { lastSignificant = byte }
        }
        return false
    }

    private static func randomValue(depth: Int, _ random: inout SplitMix) -> JSONDocument {
        let choice = Int.random(in: 0..<(depth < 4 ? 9 : 6), using: &random)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int64.random(in: .min ... .max, using: &random) >> Int64.random(in: 0..<63, using: &random))
        case 3: return .double(Double.random(in: -1e6...1e6, using: &random).rounded() + 0.5)
        case 4, 5: return .string(randomString(&random))
        case 6: return .uint(UInt64.random(in: UInt64(Int64.max) + 1 ... .max, using: &random))
        case 7:
            return .array((0..<Int.random(in: 0..<5, using: &random)).map { _ in randomValue(depth: depth + 1, &random) })
        default:
            return .object((0..<Int.random(in: 0..<5, using: &random)).map { index in
                ("k\(index)" + randomString(&random), randomValue(depth: depth + 1, &random))
            })
        }
    }

    private static func randomString(_ random: inout SplitMix) -> String {
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1F}", "é", "中", "😀", "\u{7F}"]
        var text = ""
        for _ in 0..<Int.random(in: 0..<12, using: &random) { text.unicodeScalars.append(alphabet.randomElement(using: &random)!) }
        return text
    }

    /// JSON text for `value` with random whitespace and escapes.
    private static func spell(_ value: JSONDocument, _ random: inout SplitMix) -> String {
        func space() -> String { ["", " ", "\n", "\t ", "\r\n"].randomElement(using: &random)! }
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .uint(let number): return String(number)
        case .double(let number): return Bool.random(using: &random) ? "\(number)" : String(format: "%.6e", number)
        case .string(let text): return spellString(text, &random)
        case .array(let values):
            return "[" + space() + values.map { spell($0, &random) }.joined(separator: space() + "," + space()) + space() + "]"
        case .object(let members):
            return "{" + space() + members.map { key, value in
                spellString(key, &random) + space() + ":" + space() + spell(value, &random)
            }.joined(separator: "," + space()) + space() + "}"
        }
    }

    private static func spellString(_ text: String, _ random: inout SplitMix) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            let mustEscape = scalar == "\"" || scalar == "\\" || scalar.value < 0x20
            if mustEscape || Int.random(in: 0..<4, using: &random) == 0 {
                if scalar.value >= 0x10000 {
                    let offset = scalar.value - 0x10000
                    out += String(format: "\\u%04x\\u%04X", 0xD800 + (offset >> 10), 0xDC00 + (offset & 0x3FF))
                } else if scalar == "\"" || scalar == "\\" || Bool.random(using: &random) {
                    out += String(format: "\\u%04x", scalar.value)
                } else if scalar == "\n" {
                    out += "\\n"
                } else if scalar == "/" {
                    out += "\\/"
                } else {
                    out += String(format: "\\u%04X", scalar.value)
                }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// What the reader makes of `value`: object keys sorted.
    private static func sortedKeys(_ value: JSONDocument) -> JSONDocument {
        switch value {
        case .array(let values): return .array(values.map(sortedKeys))
        case .object(let members):
            var byKey: [String: JSONDocument] = [:]
            for (key, member) in members { byKey[key] = sortedKeys(member) }
            return .object(byKey.keys.sorted().map { ($0, byKey[$0]!) })
        default: return value
        }
    }
}
