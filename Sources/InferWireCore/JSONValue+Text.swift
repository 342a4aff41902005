import Foundation

extension JSONValue {
    /// Compact JSON text, keys sorted. Whole numbers print without a fraction (`50`, not
    /// `50.0`): settings files hold integers such as `max_tokens`, and OpenAI refuses a decimal
    /// where it wants an integer.
    public var jsonText: String {
        var output = ""
        write(into: &output)
        return output
    }

    private func write(into output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 {
                output += String(Int64(value))
            } else {
                output += value.isFinite ? "\(value)" : "null"
            }
        case .string(let value): output += JSONString.quoted(value)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(into: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                output += JSONString.quoted(key) + ":"
                object[key]!.write(into: &output)
            }
            output += "}"
        }
    }

    /// Parses JSON text (a request's structured parameter sent as a string).
    public init(jsonText: String) throws(SyntaxError) {
        self = try Self.parse(Data(jsonText.utf8))
    }

    /// Parses a JSON document; the error says what is wrong in words.
    public static func parse(_ data: Data) throws(SyntaxError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let error as DecodingError {
            throw SyntaxError(error)
        } catch {
            throw SyntaxError(message: error.localizedDescription)
        }
    }

    /// Text that is not JSON, said without Swift's type names.
    public struct SyntaxError: Error, CustomStringConvertible {
        public let message: String

        public init(message: String) {
            self.message = message
        }

        public init(_ error: DecodingError) {
            switch error {
            case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                message = context.debugDescription + (path.isEmpty ? "" : " (at \(path))")
            @unknown default:
                message = "the text is not valid JSON"
            }
        }

        public var description: String { message }
    }

    /// `other` laid over `self`: objects merge key by key, recursively; anything else is replaced.
    public func merged(with other: JSONValue) -> JSONValue {
        guard case .object(var base) = self, case .object(let top) = other else { return other }
        for (key, value) in top {
            base[key] = base[key].map { $0.merged(with: value) } ?? value
        }
        return .object(base)
    }
}
