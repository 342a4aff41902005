import Foundation
import Testing
import TestSupport

/// `serve` with TLS from the environment, driven from outside: the CLI's own client with
/// --tls-ca, a plain client refused, and SIGHUP reloading a rotated certificate.
@Suite("inferwire serve over TLS", .timeLimit(.minutes(2)))
struct TLSServeTests {
    @Test("TLS from INFERWIRE_TLS_*: health with --tls-ca, refused without; SIGHUP serves a rotated certificate, a broken one is refused and the old one stays")
    func serveTLS() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let folder = try TemporaryFolder()
        let certificates = try await TestCertificates.make(in: folder.path)
        let repository = try EchoServer.makeRepository()
        defer { try? FileManager.default.removeItem(at: repository) }
        let port = try await freePort()
        let serve = try BinaryProcess(
            binary, ["serve", "--repository", repository.path, "--host", "127.0.0.1", "--port", "\(port)", "--http-port=-1", "--grpc-port=-1"],
            environment: ["INFERWIRE_TLS_CERTIFICATE": certificates.serverCertificate, "INFERWIRE_TLS_PRIVATE_KEY": certificates.serverKey])
        let health = ["health", "--port", "\(port)", "--tls-ca", certificates.ca]
        var answer: (status: Int32, stdout: Data, stderr: String) = (-1, Data(), "")
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning {
            answer = try await runBinary(binary, health)
            if answer.status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(answer.status == 0, "health over TLS never succeeded: \(answer.stderr); serve said: \(serve.stderr)")
        let printed = String(decoding: serve.stdout, as: UTF8.self)
        #expect(printed.contains("TLS on every door (sha256 "), "\(printed)")
        let plain = try await runBinary(binary, ["health", "--port", "\(port)"])
        #expect(plain.status == 2, "\(plain.stderr)")
        // load over TLS: every call answered; without the CA it cannot connect.
        let load = try await runBinary(binary, [
            "load", "echo", "--port", "\(port)", "--tls-ca", certificates.ca, "--input", "a=b", "--requests", "200",
            "--connections", "2", "--warmup", "0", "--json",
        ])
        #expect(load.status == 0, "\(load.stderr)")
        let report = try? JSONSerialization.jsonObject(with: load.stdout) as? [String: Any]
        #expect(report?["ok"] as? Int == 200 && (report?["errors"] as? [String: Int]) == [:], "\(String(decoding: load.stdout, as: UTF8.self))")
        let plainLoad = try await runBinary(binary, ["load", "echo", "--port", "\(port)", "--input", "a=b", "--requests", "10", "--warmup", "0"])
        #expect(plainLoad.status != 0, "\(plainLoad.stderr)")

        func subject() async throws -> String {
            let script = "echo | openssl s_client -connect 127.0.0.1:\(port) -CAfile \(certificates.ca) 2>/dev/null | openssl x509 -noout -subject"
            return String(decoding: try await ChildProcess.run("/bin/sh", ["-c", script]).stdout, as: UTF8.self)
        }
        #expect(try await subject().contains("CN = server"))
        try await certificates.renewServer(subject: "rotated")
        kill(serve.process.processIdentifier, SIGHUP)
        let reloaded = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < reloaded, !String(decoding: serve.stdout, as: UTF8.self).contains("TLS certificate reloaded") {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await subject().contains("CN = rotated"), "\(String(decoding: serve.stdout, as: UTF8.self))")

        try "not a certificate".write(toFile: certificates.serverCertificate, atomically: true, encoding: .utf8)
        kill(serve.process.processIdentifier, SIGHUP)
        let refused = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < refused, !String(decoding: serve.stdout, as: UTF8.self).contains("TLS reload failed") {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(String(decoding: serve.stdout, as: UTF8.self).contains("TLS reload failed, the current certificate stays"))
        #expect(try await runBinary(binary, health).status == 0)
        #expect(try await subject().contains("CN = rotated"))

        kill(serve.process.processIdentifier, SIGTERM)
        #expect(try await serve.waitForExit(timeout: .seconds(10)))
        #expect(serve.process.terminationStatus == 0, "\(serve.stderr)")
    }
}
