import Foundation
import ProviderSimulator
import TestSupport
import Testing

/// The simulator checked against the official Python SDKs (openai, google-genai, pinned in
/// scripts/python-requirements.txt): Tests/SDKFidelity/check_sdks.py calls it through each SDK
/// (text, streaming, image, tools, errors, Azure) and fails when an SDK cannot parse an answer.
@Suite("Provider simulator: official SDKs", .timeLimit(.minutes(3)))
struct SDKFidelityTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `INFERWIRE_PYTHON`, else the venv scripts/python-env.sh makes.
    static func python() throws -> String {
        let path = ProcessInfo.processInfo.environment["INFERWIRE_PYTHON"] ?? packageRoot.appendingPathComponent(".build/python-venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw PythonMissing(description: "no Python with the SDKs at \(path): run `bash scripts/python-env.sh` (scripts/test.sh does) or set INFERWIRE_PYTHON")
        }
        return path
    }

    struct PythonMissing: Error, CustomStringConvertible { let description: String }

    @Test("openai and google-genai parse every answer of the simulator")
    func officialSDKs() async throws {
        let simulator = try await ProviderSimulator.start()
        let result = try await ChildProcess.run(
            try Self.python(), [Self.packageRoot.appendingPathComponent("Tests/SDKFidelity/check_sdks.py").path, "http://127.0.0.1:\(simulator.port)"])
        let status = result.status
        let log = String(decoding: result.stdout + result.stderr, as: UTF8.self)
        await simulator.close()

        #expect(status == 0, "SDK checks failed:\n\(log)")
        let summary = log.split(separator: "\n").last.map(String.init) ?? ""
        let report = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any], "no summary in:\n\(log)")
        #expect(report["checks"] as? Int == 11, "\(report)")
        #expect((report["failed"] as? [Any])?.isEmpty == true, "\(report)")
    }

    @Test("openai's files and fine_tuning, google-genai's tunings and Vertex AI, google-auth's service-account exchange: the simulator's tuning routes")
    func tuningSDKs() async throws {
        let simulator = try await ProviderSimulator.start(configuration: ProviderSimulator.Configuration(tuningStepMilliseconds: 5))
        let result = try await ChildProcess.run(
            try Self.python(), [Self.packageRoot.appendingPathComponent("Tests/SDKFidelity/check_tuning_sdks.py").path, "http://127.0.0.1:\(simulator.port)"])
        let log = String(decoding: result.stdout + result.stderr, as: UTF8.self)
        await simulator.close()
        #expect(result.status == 0, "SDK checks failed:\n\(log)")
        let summary = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        let report = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any], "no summary in:\n\(log)")
        #expect(report["checks"] as? Int == 12, "\(report)")
        #expect((report["failed"] as? [Any])?.isEmpty == true, "\(report)")
    }
}
