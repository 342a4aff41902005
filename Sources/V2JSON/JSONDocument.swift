import Foundation
import InferWireCore

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
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .uint(let value): out += String(value)
        case .double(let value):
            if value.isFinite {
                out += value.rounded() == value && abs(value) < 1e15 ? String(format: "%.1f", value) : "\(value)"
            } else {
                out += "null"
            }
        case .string(let value): out += JSONString.quoted(value)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += "," }
                out += JSONString.quoted(key)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    /// Parses JSON text, telling integers from other numbers; object keys are sorted.
    public static func parse(_ data: Data) throws(JSONValue.SyntaxError) -> JSONDocument {
        do {
            return try JSONDecoder().decode(Decoded.self, from: data).value
        } catch let error as DecodingError {
            throw JSONValue.SyntaxError(error)
        } catch {
            throw JSONValue.SyntaxError(message: "\(error)")
        }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct Decoded: Decodable {
        let value: JSONDocument

        init(from decoder: any Decoder) throws {
            if let object = try? decoder.container(keyedBy: Key.self) {
                value = .object(try object.allKeys.map(\.stringValue).sorted().map {
                    ($0, try object.decode(Decoded.self, forKey: Key(stringValue: $0)).value)
                })
                return
            }
            if var array = try? decoder.unkeyedContainer() {
                var values: [JSONDocument] = []
                while !array.isAtEnd { values.append(try array.decode(Decoded.self).value) }
                value = .array(values)
                return
            }
            let single = try decoder.singleValueContainer()
            if single.decodeNil() { value = .null }
            else if let bool = try? single.decode(Bool.self) { value = .bool(bool) }
            else if let int = try? single.decode(Int64.self) { value = .int(int) }
            else if let uint = try? single.decode(UInt64.self) { value = .uint(uint) }
            else if let double = try? single.decode(Double.self) { value = .double(double) }
            else { value = .string(try single.decode(String.self)) }
        }
    }
}
