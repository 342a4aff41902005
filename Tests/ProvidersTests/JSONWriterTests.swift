import Foundation
import Testing
@testable import Providers

@Suite("JSON writer for request bodies")
struct JSONWriterTests {
    @Test("escapes, nesting, numbers, raw JSON: Foundation reads back what was written")
    func roundTrip() throws {
        let tricky = "quote \" backslash \\ slash / newline \n tab \t cr \r bell \u{07} nul \u{00} é 日本 🙂"
        let value: [String: Any] = [
            "text": tricky, "int": -42, "double": 0.1, "small": 1.5e-7, "big": 1e21, "flag": true, "off": false,
            "null": JSONNull(), "list": [1, "two", [3.5], [String: Any]()], "raw": RawJSON(text: #"{"type": "object", "required": ["a"]}"#),
            "nested": ["b": ["c": "d"], "a": [Any]()],
        ]
        let bytes = try JSONWriter.write(value)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(parsed["text"] as? String == tricky)
        #expect(parsed["int"] as? Int == -42 && parsed["double"] as? Double == 0.1 && parsed["small"] as? Double == 1.5e-7 && parsed["big"] as? Double == 1e21)
        #expect(parsed["flag"] as? Bool == true && parsed["off"] as? Bool == false && parsed["null"] is NSNull)
        #expect(((parsed["raw"] as? [String: Any])?["required"] as? [String]) == ["a"])
        #expect((((parsed["nested"] as? [String: Any])?["b"] as? [String: Any])?["c"] as? String) == "d")
        // Keys sorted, no spaces, slashes and non-ASCII unescaped, control characters as \u00XX.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"big":1e+21,"double":0.1,"flag":true,"int":-42,"list":[1,"two",[3.5],{}],"nested":{"a":[],"b":{"c":"d"}}"#))
        #expect(text.contains(#"slash / newline \n tab \t cr \r bell \u0007 nul \u0000 é 日本 🙂"#))
    }

    @Test("values JSON cannot hold are refused")
    func refusals() {
        #expect(throws: ProviderError.self) { try JSONWriter.write(["x": Double.nan]) }
        #expect(throws: ProviderError.self) { try JSONWriter.write(["x": Double.infinity]) }
        #expect(throws: ProviderError.self) { try JSONWriter.write(["x": Date()]) }
    }
}
