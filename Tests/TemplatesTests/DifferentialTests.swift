import Foundation
import TestSupport
import Testing
@testable import Templates

/// Renders every case with real Python Jinja2 (through `jinja_oracle.py`) and with
/// this engine, and requires byte-identical output — or, when Jinja2 raises, an
/// error of the same category (syntax / undefined / type / other).
@Suite struct DifferentialTests {
    /// Fixed seed so the generated cases are identical on every run and machine.
    static let generatorSeed = 20250611
    static let generatedCount = 400

    @Test func matchesJinja2ByteForByte() async throws {
        // TEMPLATES_DIFF_SEED / TEMPLATES_DIFF_COUNT explore other generated cases locally.
        let env = ProcessInfo.processInfo.environment
        let seed = env["TEMPLATES_DIFF_SEED"].flatMap(Int.init) ?? Self.generatorSeed
        let count = env["TEMPLATES_DIFF_COUNT"].flatMap(Int.init) ?? Self.generatedCount
        let suite = try await OracleSuite.load(seed: seed, count: count)
        #expect(suite.jinjaVersion == "3.1.6", "the oracle must run Jinja2 3.1.6, found \(suite.jinjaVersion): \(OracleSuite.installHint)")
        #expect(suite.cases.count >= 400, "expected at least 400 differential cases, got \(suite.cases.count)")
        var mismatches: [String] = []
        for c in suite.cases {
            if let problem = c.compare() { mismatches.append(problem) }
        }
        let report = mismatches.joined(separator: "\n\n")
        let reportURL = FileManager.default.temporaryDirectory.appendingPathComponent("templates-differential-report.txt")
        try? report.write(to: reportURL, atomically: true, encoding: .utf8)
        #expect(
            mismatches.isEmpty,
            "\(mismatches.count) of \(suite.cases.count) cases differ from Jinja2 \(suite.jinjaVersion) (full report: \(reportURL.path)):\n\n\(mismatches.prefix(15).joined(separator: "\n\n"))"
        )
    }
}

/// One case plus Jinja2's verdict.
struct OracleCase {
    var name: String
    var template: String
    var contextJSON: String
    var options: TemplateOptions
    var expectedOutput: String?
    var expectedError: String?
    var expectedMessage: String

    static func category(_ kind: TemplateError.Kind) -> String {
        switch kind {
        case .syntax: return "syntax"
        case .undefined: return "undefined"
        case .type: return "type"
        case .runtime, .limit: return "other"
        }
    }

    /// nil when the engine agrees with Jinja2, else a human readable report.
    func compare() -> String? {
        var actualOutput: String? = nil
        var actualError: TemplateError? = nil
        do {
            guard case .dictionary(let ctx) = try TemplateValue(json: contextJSON) else {
                return "[\(name)] context is not a JSON object"
            }
            var context: [String: TemplateValue] = [:]
            for (k, v) in ctx { context[k] = v }
            let t = try Template(template, name: name, options: options)
            actualOutput = try t.render(context)
        } catch let e as TemplateError {
            actualError = e
        } catch {
            return "[\(name)] unexpected error \(error)"
        }
        let expected = expectedOutput.map { "output \(debug($0))" } ?? "error \(expectedError ?? "?"): \(expectedMessage)"
        let actual = actualOutput.map { "output \(debug($0))" } ?? "error \(actualError.map { "\(Self.category($0.kind)): \($0)" } ?? "?")"
        if let expectedOutput {
            if let actualOutput, actualOutput == expectedOutput, actualOutput.utf8.elementsEqual(expectedOutput.utf8) { return nil }
        } else if let actualError, Self.category(actualError.kind) == expectedError {
            return nil
        }
        return "[\(name)] options=\(options)\n  template: \(debug(template))\n  context:  \(contextJSON.prefix(300))\n  expected: \(expected)\n  actual:   \(actual)"
    }

    func debug(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}

/// Runs the Python oracle once for hand-written + generated cases.
struct OracleSuite {
    var cases: [OracleCase]
    var jinjaVersion: String

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    static var testsDirectory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent() }
    static var packageRoot: URL { testsDirectory.deletingLastPathComponent().deletingLastPathComponent() }

    static let installHint = """
        The differential tests need Python 3 with Jinja2 3.1.6. Install it with:
            cd \(packageRoot.path) && bash scripts/python-env.sh   (scripts/test.sh does this)
        or point INFERWIRE_PYTHON at a python that has Jinja2 installed.
        """

    static func pythonPath() throws -> String {
        if let env = ProcessInfo.processInfo.environment["INFERWIRE_PYTHON"], !env.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: env) else {
                throw SetupError(description: "INFERWIRE_PYTHON=\(env) is not executable.\n\(installHint)")
            }
            return env
        }
        let venv = packageRoot.appendingPathComponent(".build/python-venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw SetupError(description: "No Python found at \(venv).\n\(installHint)")
        }
        return venv
    }

    static func handCasesURL() -> URL {
        if let dir = Bundle.module.url(forResource: "Resources", withExtension: nil) {
            return dir.appendingPathComponent("cases.json")
        }
        return testsDirectory.appendingPathComponent("Resources/cases.json")
    }

    static func load(seed: Int, count: Int) async throws -> OracleSuite {
        let python = try pythonPath()
        let oracle = testsDirectory.appendingPathComponent("jinja_oracle.py").path
        let result = try await ChildProcess.run(python, [oracle, "--suite", String(seed), String(count)], input: try handCasesURL())
        let data = result.stdout
        guard result.status == 0 else {
            throw SetupError(description: "jinja_oracle.py failed (exit \(result.status)): \(String(decoding: result.stderr, as: UTF8.self))\n\(installHint)")
        }
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]],
              let results = root["results"] as? [[String: Any]], cases.count == results.count
        else {
            throw SetupError(description: "unexpected oracle output")
        }
        var out: [OracleCase] = []
        for (c, r) in zip(cases, results) {
            let o = c["options"] as? [String: Any] ?? [:]
            func flag(_ k: String) -> Bool { (o[k] as? Bool) ?? ((o[k] as? NSNumber)?.boolValue ?? false) }
            var options = TemplateOptions()
            options.strictUndefined = flag("strict")
            options.trimBlocks = flag("trim_blocks")
            options.lstripBlocks = flag("lstrip_blocks")
            options.keepTrailingNewline = flag("keep_trailing_newline")
            out.append(OracleCase(
                name: c["name"] as? String ?? "?",
                template: c["template"] as? String ?? "",
                contextJSON: c["context_json"] as? String ?? "{}",
                options: options,
                expectedOutput: r["output"] as? String,
                expectedError: r["error"] as? String,
                expectedMessage: r["message"] as? String ?? ""))
        }
        return OracleSuite(cases: out, jinjaVersion: root["jinja2"] as? String ?? "?")
    }
}
