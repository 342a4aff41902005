import Foundation
import InferWireCore
import NIOCore

/// A JSON value that tells integers from other numbers (an INT64 tensor's values survive) and
/// keeps object keys in order (output has a stable key order): V2 REST bodies, the CLI's
/// `--request` files and `--json` output.
public indirect enum JSONDocument: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONDocument])
    case object([(String, JSONDocument)])

    public static func == (lhs: JSONDocument, rhs: JSONDocument) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    public subscript(key: String) -> JSONDocument? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// Compact JSON text.
    public func serialized() -> String {
        var writer = JSONWriter()
        writer.document(self)
        return String(buffer: writer.buffer)
    }

    /// Parses JSON text, telling integers from other numbers; object keys are sorted unless
    /// `keepingKeyOrder`.
    public static func parse(_ buffer: ByteBuffer, keepingKeyOrder: Bool = false) throws(JSONValue.SyntaxError) -> JSONDocument {
        let result = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONValue.SyntaxError) in try JSONReader.read(bytes, sortingKeys: !keepingKeyOrder) }
        }
        return try result.get()
    }

    /// Parses JSON text, telling integers from other numbers; object keys are sorted.
    public static func parse(_ data: Data) throws(JSONValue.SyntaxError) -> JSONDocument {
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(JSONValue.SyntaxError) in try JSONReader.read(bytes) }
        }
        return try result.get()
    }
}

/// Writes compact JSON straight into a `ByteBuffer` (the bytes a response body is sent from):
/// strings through the one escaper, base64 straight from raw bytes. Separators are the
/// caller's: it writes what it is told.
public struct JSONWriter {
    public var buffer: ByteBuffer

    public init(capacity: Int = 256) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Punctuation or a key, written as is (`{"name":`).
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { _ = buffer.writeBytes($0) }
    }

    public mutating func string(_ text: String) {
        JSONString.appendQuoted(text, to: &buffer)
    }

    /// UTF-8 bytes as a JSON string (the caller has checked they are UTF-8).
    public mutating func string(utf8: ByteBuffer) {
        utf8.withUnsafeReadableBytes { JSONString.appendQuoted(utf8: $0, to: &buffer) }
    }

    /// Raw bytes as a quoted base64 string, encoded in place (base64 needs no escaping).
    public mutating func base64(_ bytes: ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        bytes.withUnsafeReadableBytes { input in
            let length = Base64Text.encodedLength(input.count)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { output in
                Base64Text.encode(input, into: output)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    public mutating func bool(_ value: Bool) {
        value ? raw("true") : raw("false")
    }

    public mutating func int(_ value: Int64) {
        buffer.writeString(String(value))
    }

    public mutating func uint(_ value: UInt64) {
        buffer.writeString(String(value))
    }

    /// Integral values keep a `.0` (they stay floating point for the reader); non-finite ones,
    /// which JSON cannot hold, are null.
    public mutating func double(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        if value.rounded() == value && abs(value) < 1e15 {
            if value == 0 && value.sign == .minus { raw("-") }
            buffer.writeString(String(Int64(value)))
            raw(".0")
        } else {
            buffer.writeString("\(value)")
        }
    }

    public mutating func document(_ value: JSONDocument) {
        switch value {
        case .null: raw("null")
        case .bool(let value): bool(value)
        case .int(let value): int(value)
        case .uint(let value): uint(value)
        case .double(let value): double(value)
        case .string(let value): string(value)
        case .array(let values):
            raw("[")
            for (index, value) in values.enumerated() {
                if index > 0 { raw(",") }
                document(value)
            }
            raw("]")
        case .object(let members):
            raw("{")
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { raw(",") }
                string(key)
                raw(":")
                document(value)
            }
            raw("}")
        }
    }
}
