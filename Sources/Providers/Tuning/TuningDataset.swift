import Foundation

/// A training dataset read from `.jsonl` or `.csv` and checked before anything is uploaded, each
/// problem named with its line: an empty file, a line that is not UTF-8 or not JSON, missing
/// fields, an example over the provider's limits, a file over the size limit.
///
/// - JSONL: one object per line, `{"text_input": …, "output": …}` (seed 003's names; `input` /
///   `prompt` and `completion` also read) or OpenAI's chat form `{"messages": [...]}` with a user
///   and an assistant turn (a system turn is kept for OpenAI).
/// - CSV: a header row naming the input column (`text_input`, `input`, `prompt`) and the output
///   column (`output`, `completion`); RFC 4180 quoting, quoted fields may span lines.
public struct TuningDataset: Sendable, Equatable {
    public var examples: [TuningExample]
    /// The line each example starts on (1-based), for later messages.
    public var lines: [Int]

    public static let defaultMaxBytes = 64 << 20

    public init(examples: [TuningExample], lines: [Int]) {
        self.examples = examples
        self.lines = lines
    }

    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var line: Int?
        public var message: String
        public var description: String { line.map { "line \($0): \(message)" } ?? message }
    }

    /// Every problem found (the first 20), so one run fixes many.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var problems: [Problem]
        public var description: String {
            "dataset \(file) is not valid:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        }
    }

    public static func load(path: String, maxBytes: Int = defaultMaxBytes) throws(Invalid) -> TuningDataset {
        let lower = path.lowercased()
        guard lower.hasSuffix(".jsonl") || lower.hasSuffix(".csv") else {
            throw Invalid(file: path, problems: [Problem(line: nil, message: "the file must end in .jsonl or .csv")])
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int, let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(file: path, problems: [Problem(line: nil, message: "the file cannot be read")])
        }
        guard size <= maxBytes else {
            throw Invalid(file: path, problems: [Problem(line: nil, message: "the file is \(size) bytes, over the limit of \(maxBytes)")])
        }
        return try parse(Array(data), csv: lower.hasSuffix(".csv"), file: path)
    }

    public static func parse(_ bytes: [UInt8], csv: Bool, file: String) throws(Invalid) -> TuningDataset {
        var problems: [Problem] = []
        // UTF-8 first, line by line, so the message can say where.
        var lineNumber = 1
        var lineStart = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: "\n") {
            if String(validating: bytes[lineStart..<index], as: UTF8.self) == nil {
                problems.append(Problem(line: lineNumber, message: "not valid UTF-8"))
            }
            lineNumber += 1
            lineStart = index + 1
        }
        guard problems.isEmpty else { throw Invalid(file: file, problems: Array(problems.prefix(20))) }
        let text = String(decoding: bytes, as: UTF8.self)
        var dataset = TuningDataset(examples: [], lines: [])
        if csv {
            readCSV(text, into: &dataset, problems: &problems)
        } else {
            readJSONL(text, into: &dataset, problems: &problems)
        }
        if problems.isEmpty, dataset.examples.isEmpty {
            problems.append(Problem(line: nil, message: "the dataset has no examples"))
        }
        guard problems.isEmpty else { throw Invalid(file: file, problems: Array(problems.prefix(20))) }
        return dataset
    }

    /// The provider's own rules, checked before upload: OpenAI wants at least 10 examples;
    /// Gemini takes inputs up to 40,000 and outputs up to 5,000 characters.
    public func check(for provider: TuningJob.Provider, file: String) throws(Invalid) {
        var problems: [Problem] = []
        switch provider {
        case .openai:
            if examples.count < 10 {
                problems.append(Problem(line: nil, message: "OpenAI fine-tuning needs at least 10 examples; this file has \(examples.count)"))
            }
        case .gemini:
            for (example, line) in zip(examples, lines) {
                if example.input.count > 40_000 { problems.append(Problem(line: line, message: "the input is \(example.input.count) characters, over Gemini's 40,000")) }
                if example.output.count > 5_000 { problems.append(Problem(line: line, message: "the output is \(example.output.count) characters, over Gemini's 5,000")) }
            }
        }
        guard problems.isEmpty else { throw Invalid(file: file, problems: Array(problems.prefix(20))) }
    }

    /// OpenAI's chat fine-tuning format, one example per line.
    public func openAIJSONL() -> [UInt8] {
        var output: [UInt8] = []
        for example in examples {
            var messages: [[String: String]] = []
            if let system = example.system { messages.append(["role": "system", "content": system]) }
            messages.append(["role": "user", "content": example.input])
            messages.append(["role": "assistant", "content": example.output])
            output += TuningHTTP.json(["messages": messages])
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }

    // MARK: Readers

    private static let inputNames = ["text_input", "input", "prompt"]
    private static let outputNames = ["output", "completion"]

    private static func readJSONL(_ text: String, into dataset: inout TuningDataset, problems: inout [Problem]) {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                problems.append(Problem(line: number, message: "not a JSON object"))
                continue
            }
            if let messages = object["messages"] {
                guard let list = messages as? [[String: Any]] else {
                    problems.append(Problem(line: number, message: "\"messages\" must be a list of {role, content}"))
                    continue
                }
                let content = { (role: String) in list.filter { $0["role"] as? String == role }.compactMap { $0["content"] as? String } }
                guard let output = content("assistant").last, !content("user").isEmpty else {
                    problems.append(Problem(line: number, message: "\"messages\" needs a user and an assistant message with text content"))
                    continue
                }
                dataset.examples.append(TuningExample(input: content("user").joined(separator: "\n"), output: output, system: content("system").first))
                dataset.lines.append(number)
                continue
            }
            guard let input = inputNames.lazy.compactMap({ object[$0] as? String }).first else {
                problems.append(Problem(line: number, message: "missing \"text_input\" (a string; or \"messages\")"))
                continue
            }
            guard let output = outputNames.lazy.compactMap({ object[$0] as? String }).first else {
                problems.append(Problem(line: number, message: "missing \"output\" (a string)"))
                continue
            }
            if input.isEmpty || output.isEmpty {
                problems.append(Problem(line: number, message: input.isEmpty ? "\"text_input\" is empty" : "\"output\" is empty"))
                continue
            }
            dataset.examples.append(TuningExample(input: input, output: output))
            dataset.lines.append(number)
        }
    }

    private static func readCSV(_ text: String, into dataset: inout TuningDataset, problems: inout [Problem]) {
        var records = CSVRecords(text).makeIterator()
        guard let header = records.next() else { return }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let inputColumn = names.firstIndex(where: inputNames.contains), let outputColumn = names.firstIndex(where: outputNames.contains) else {
            problems.append(Problem(line: header.line, message: "the header row must name an input column (text_input, input or prompt) and an output column (output or completion); found \(names.joined(separator: ", "))"))
            return
        }
        while let record = records.next() {
            if let problem = record.problem {
                problems.append(Problem(line: record.line, message: problem))
                break
            }
            if record.fields.count == 1, record.fields[0].isEmpty { continue }
            guard record.fields.count == names.count else {
                problems.append(Problem(line: record.line, message: "\(record.fields.count) field(s), the header has \(names.count)"))
                continue
            }
            let input = record.fields[inputColumn], output = record.fields[outputColumn]
            if input.isEmpty || output.isEmpty {
                problems.append(Problem(line: record.line, message: input.isEmpty ? "the \(names[inputColumn]) field is empty" : "the \(names[outputColumn]) field is empty"))
                continue
            }
            dataset.examples.append(TuningExample(input: input, output: output))
            dataset.lines.append(record.line)
        }
    }
}

/// RFC 4180 records with the line each starts on; a quote left open is a problem.
struct CSVRecords: Sequence {
    struct Record {
        var fields: [String]
        var line: Int
        var problem: String?
    }

    let text: String

    init(_ text: String) { self.text = text }

    func makeIterator() -> AnyIterator<Record> {
        var characters = Array(text.unicodeScalars)[...]
        var line = 1
        return AnyIterator {
            guard !characters.isEmpty else { return nil }
            let start = line
            var fields: [String] = []
            var field = String.UnicodeScalarView()
            var quoted = false
            while let scalar = characters.popFirst() {
                if quoted {
                    if scalar == "\"" {
                        if characters.first == "\"" { characters.removeFirst(); field.append("\"") } else { quoted = false }
                    } else {
                        if scalar == "\n" { line += 1 }
                        field.append(scalar)
                    }
                    continue
                }
                switch scalar {
                case "\"" where field.isEmpty: quoted = true
                case ",": fields.append(String(field)); field = String.UnicodeScalarView()
                case "\r": continue
                case "\n":
                    line += 1
                    fields.append(String(field))
                    return Record(fields: fields, line: start)
                default: field.append(scalar)
                }
            }
            fields.append(String(field))
            return Record(fields: fields, line: start, problem: quoted ? "a quoted field is never closed" : nil)
        }
    }
}
