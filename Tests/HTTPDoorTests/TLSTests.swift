import Foundation
import NIOCore
import GRPCDoor
import HTTPDoor
import InferWireClient
import InferWireCore
import InferenceService
import Logging
import NIOConcurrencyHelpers
import ProtoWire
import ServiceLifecycle
import TestSupport
import Testing

/// TLS on the three doors from one set of PEM files, with clients we did not write (curl,
/// grpcio) and the binary client; mutual TLS; a certificate reload reaching new connections.
@Suite("TLS on every door", .timeLimit(.minutes(3)))
struct TLSTests {
    struct Doors {
        var server: InferWireServer
        var http: Int
        var grpc: Int
        var binary: Int
    }

    /// A server over the echo example with TLS on the binary, HTTP and gRPC doors.
    static func withDoors(
        _ certificates: TestCertificates, mutual: Bool, paths: TLSFiles.Paths? = nil, handshake: Int64 = 10,
        _ body: (Doors) async throws -> Void
    ) async throws {
        let folder = try TemporaryFolder()
        try folder.write("echo/model-settings.json", #"{"name": "echo", "implementation": "echo"}"#)
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.binaryPort = 0
        settings.metricsEndpoint = ""
        settings.modelRepositoryRoot = folder.path
        // Handshake timeouts: 10 s (a TLS handshake took over 2 s on a loaded CI machine), 1 s
        // for the test of a stalled one.
        settings.timeouts.handshake = .seconds(handshake)
        settings.tls = paths ?? TLSFiles.Paths(
            certificateChain: certificates.serverCertificate, privateKey: certificates.serverKey, clientCA: mutual ? certificates.ca : nil)
        let server = try await InferWireServer.start(settings: settings)
        let ports = NIOLockedValueBox<(http: Int?, grpc: Int?)>((nil, nil))
        let http = HTTPDoor(
            dataPlane: server.dataPlane, settings: HTTPDoorSettings(host: "127.0.0.1", port: 0, idleTimeout: .seconds(5)), tls: server.tls
        ) { port in
            ports.withLockedValue { $0.http = port }
        }
        let grpc = GRPCDoor(dataPlane: server.dataPlane, settings: .init(host: "127.0.0.1", port: 0, handshakeTimeout: .seconds(handshake)), tls: server.tls) { port in
            ports.withLockedValue { $0.grpc = port }
        }
        let group = ServiceGroup(configuration: .init(services: [http, grpc], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while ports.withLockedValue({ $0.http == nil || $0.grpc == nil }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let bound = ports.withLockedValue { $0 }
        let doors = Doors(
            server: server, http: try #require(bound.http), grpc: try #require(bound.grpc), binary: try #require(server.server.localAddress?.port))
        var failure: Error?
        do { try await body(doors) } catch { failure = error }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await server.shutdown(timeout: .zero)
        if let failure { throw failure }
    }

    static func curl(_ arguments: [String]) async throws -> (status: String, error: String) {
        let result = try await ChildProcess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}|%{errormsg}"] + arguments)
        let parts = String(decoding: result.stdout, as: UTF8.self).split(separator: "|", maxSplits: 1).map(String.init)
        return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
    }

    static func echo(_ client: InferWireClient) async throws -> [String] {
        var request = ModelInferRequest()
        request.modelName = "echo"
        request.inputs = [.init(name: "x", datatype: "BYTES", shape: [1])]
        request.rawInputContents = [BytesElements.encode(strings: ["hi"])]
        let response = try await client.infer(request)
        return try BytesElements.split(response.rawOutputContents[0]).map { String(buffer: $0) }
    }

    static func subject(port: Int, ca: String) async throws -> String {
        let script = "echo | openssl s_client -connect 127.0.0.1:\(port) -CAfile \(ca) 2>/dev/null | openssl x509 -noout -subject"
        return String(decoding: try await ChildProcess.run("/bin/sh", ["-c", script]).stdout, as: UTF8.self)
    }

    @Test("server TLS: curl, grpcio and the binary client over TLS; plain clients refused; a reload serves the new certificate on all three doors")
    func serverTLS() async throws {
        let folder = try TemporaryFolder()
        let certificates = try await TestCertificates.make(in: folder.path)
        try await Self.withDoors(certificates, mutual: false) { doors in
            let ready = try await Self.curl(["--cacert", certificates.ca, "https://127.0.0.1:\(doors.http)/v2/health/ready"])
            #expect(ready.status == "200", "\(ready)")
            let infer = try await Self.curl([
                "--cacert", certificates.ca, "-d", #"{"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["hi"]}]}"#,
                "https://localhost:\(doors.http)/v2/models/echo/infer",
            ])
            #expect(infer.status == "200", "\(infer)")
            // No plain HTTP on a TLS door, and no trust without the CA.
            #expect(try await Self.curl(["http://127.0.0.1:\(doors.http)/v2/health/ready"]).status == "000")
            #expect(try await Self.curl(["https://127.0.0.1:\(doors.http)/v2/health/ready"]).error.contains("certificate"))

            let report = try await PythonChecks.run(
                packageRoot: HTTPDoorTests.packageRoot, script: "Tests/HTTPDoorTests/check_tls_grpc.py",
                ["127.0.0.1:\(doors.grpc)", HTTPDoorTests.packageRoot.appendingPathComponent("proto").path, certificates.ca])
            #expect(report.status == 0 && report.checks == 2 && report.failed == [], "\(report.log)")

            let client = try await InferWireClient.connect(host: "127.0.0.1", port: doors.binary, tls: ClientTLS(trustRoots: certificates.ca))
            #expect(try await Self.echo(client) == ["hi"])
            await client.close()
            await #expect(throws: (any Error).self) { _ = try await InferWireClient.connect(host: "127.0.0.1", port: doors.binary) }

            // A rotation: new files, a reload; new connections on every door see the new subject.
            try await certificates.renewServer(subject: "rotated")
            try #require(doors.server.tls).reload()
            for port in [doors.http, doors.grpc, doors.binary] {
                #expect(try await Self.subject(port: port, ca: certificates.ca).contains("CN = rotated"), "port \(port)")
            }
            let again = try await InferWireClient.connect(host: "127.0.0.1", port: doors.binary, tls: ClientTLS(trustRoots: certificates.ca))
            #expect(try await Self.echo(again) == ["hi"])
            await again.close()
        }
    }

    @Test("mutual TLS: clients without a certificate are refused in the handshake on every door; with one they are served")
    func mutualTLS() async throws {
        let folder = try TemporaryFolder()
        let certificates = try await TestCertificates.make(in: folder.path)
        try await Self.withDoors(certificates, mutual: true) { doors in
            let url = "https://127.0.0.1:\(doors.http)/v2/health/ready"
            #expect(try await Self.curl(["--cacert", certificates.ca, url]).status == "000")
            #expect(try await Self.curl(["--cacert", certificates.ca, "--cert", certificates.clientCertificate, "--key", certificates.clientKey, url]).status == "200")

            let report = try await PythonChecks.run(
                packageRoot: HTTPDoorTests.packageRoot, script: "Tests/HTTPDoorTests/check_tls_grpc.py",
                ["127.0.0.1:\(doors.grpc)", HTTPDoorTests.packageRoot.appendingPathComponent("proto").path, certificates.ca,
                 certificates.clientCertificate, certificates.clientKey])
            #expect(report.status == 0 && report.checks == 3 && report.failed == [], "status \(report.status): \(report.log)")

            let anonymous = ClientTLS(trustRoots: certificates.ca)
            await #expect(throws: (any Error).self) {
                let client = try await InferWireClient.connect(host: "127.0.0.1", port: doors.binary, tls: anonymous)
                defer { Task { await client.close() } }
                _ = try await Self.echo(client)
            }
            let known = ClientTLS(trustRoots: certificates.ca, certificateChain: certificates.clientCertificate, privateKey: certificates.clientKey)
            let client = try await InferWireClient.connect(host: "127.0.0.1", port: doors.binary, tls: known)
            #expect(try await Self.echo(client) == ["hi"])
            await client.close()
        }
    }

    @Test("mutual TLS: a reload swaps the client CA on every door: clients of the new CA are served, those of the old one refused")
    func clientCARotation() async throws {
        let folder = try TemporaryFolder()
        let certificates = try await TestCertificates.make(in: folder.path)
        let otherFolder = try TemporaryFolder()
        let other = try await TestCertificates.make(in: otherFolder.path)
        // The doors trust client certificates from `clients-ca.pem`: the first CA, then the other.
        let clientCA = folder.path + "/clients-ca.pem"
        try FileManager.default.copyItem(atPath: certificates.ca, toPath: clientCA)
        let paths = TLSFiles.Paths(certificateChain: certificates.serverCertificate, privateKey: certificates.serverKey, clientCA: clientCA)
        try await Self.withDoors(certificates, mutual: true, paths: paths) { doors in
            let url = "https://127.0.0.1:\(doors.http)/v2/health/ready"
            func curl(_ client: TestCertificates) async throws -> String {
                try await Self.curl(["--cacert", certificates.ca, "--cert", client.clientCertificate, "--key", client.clientKey, url]).status
            }
            func grpc(_ client: TestCertificates) async throws -> PythonChecks {
                try await PythonChecks.run(
                    packageRoot: HTTPDoorTests.packageRoot, script: "Tests/HTTPDoorTests/check_tls_grpc.py",
                    ["127.0.0.1:\(doors.grpc)", HTTPDoorTests.packageRoot.appendingPathComponent("proto").path, certificates.ca,
                     client.clientCertificate, client.clientKey])
            }
            /// nil when served, else why not.
            func binary(_ client: TestCertificates) async -> String? {
                let tls = ClientTLS(trustRoots: certificates.ca, certificateChain: client.clientCertificate, privateKey: client.clientKey)
                do {
                    let connection = try await InferWireClient.connect(host: "127.0.0.1", port: doors.binary, tls: tls)
                    defer { Task { await connection.close() } }
                    let answer = try await Self.echo(connection)
                    return answer == ["hi"] ? nil : "answered \(answer)"
                } catch {
                    return "\(error)"
                }
            }
            #expect(try await curl(certificates) == "200")
            #expect(try await curl(other) == "000")
            let before = await binary(certificates)
            #expect(before == nil, "\(before ?? "")")
            #expect(await binary(other) != nil)

            try FileManager.default.removeItem(atPath: clientCA)
            try FileManager.default.copyItem(atPath: other.ca, toPath: clientCA)
            try #require(doors.server.tls).reload()

            #expect(try await curl(other) == "200")
            #expect(try await curl(certificates) == "000")
            let rotated = await binary(other)
            #expect(rotated == nil, "\(rotated ?? "")")
            #expect(await binary(certificates) != nil)
            let served = try await grpc(other)
            #expect(served.status == 0 && served.checks == 3 && served.failed == [], "\(served.log)")
            let refused = try await grpc(certificates)
            #expect(refused.checks == 3 && (refused.failed ?? []).sorted() == ["ModelInfer over TLS", "health over TLS"], "\(refused.log)")

            // A client CA file that no longer parses: the reload fails and the other CA stays.
            try "not a certificate".write(toFile: clientCA, atomically: true, encoding: .utf8)
            #expect(throws: RepositoryError.self) { try #require(doors.server.tls).reload() }
            #expect(try await curl(other) == "200")
        }
    }

    @Test("a peer that connects and never starts the TLS handshake is closed by the door's own timeout (binary and gRPC: handshake, HTTP: idle), then NIOSSL's shutdown wait")
    func stalledHandshake() async throws {
        let folder = try TemporaryFolder()
        let certificates = try await TestCertificates.make(in: folder.path)
        try await Self.withDoors(certificates, mutual: false, handshake: 1) { doors in
            // The close goes through NIOSSL, which may wait up to its shutdown timeout (5 s) for a
            // close_notify that a peer which never handshook will not send.
            // Generous upper bounds: on a loaded 2-core machine timers and handshakes run late.
            for (door, port, limit) in [("binary", doors.binary, 1.0), ("HTTP", doors.http, 5.0), ("gRPC", doors.grpc, 1.0)] {
                let script = """
                    import socket, time
                    s = socket.create_connection(("127.0.0.1", \(port)))
                    s.settimeout(30)
                    start = time.time()
                    try:
                        data = s.recv(4096)
                    except ConnectionResetError:
                        data = b""
                    print("%.1f" % (time.time() - start))
                    """
                let result = try await ChildProcess.run(try PythonChecks.python(packageRoot: HTTPDoorTests.packageRoot), ["-c", script])
                let seconds = Double(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
                #expect(seconds >= limit * 0.8 && seconds < limit + 15, "\(door) door: closed after \(seconds) s; \(String(decoding: result.stderr, as: UTF8.self))")
            }
        }
    }

    @Test("bad TLS files stop the start with the file named; a failed reload keeps the certificate in use")
    func badFiles() async throws {
        let folder = try TemporaryFolder()
        let certificates = try await TestCertificates.make(in: folder.path)
        #expect(throws: RepositoryError.self) { _ = try TLSFiles(.init(certificateChain: folder.path + "/missing.pem", privateKey: certificates.serverKey)) }
        // The client's key does not go with the server's certificate.
        do {
            _ = try TLSFiles(.init(certificateChain: certificates.serverCertificate, privateKey: certificates.clientKey))
            Issue.record("a mismatched key was accepted")
        } catch {
            #expect(error.file == certificates.clientKey && error.message.contains("does not match"), "\(error)")
        }
        let tls = try TLSFiles(.init(certificateChain: certificates.serverCertificate, privateKey: certificates.serverKey))
        let before = tls.fingerprint
        try "not a certificate".write(toFile: certificates.serverCertificate, atomically: true, encoding: .utf8)
        #expect(throws: RepositoryError.self) { try tls.reload() }
        #expect(tls.fingerprint == before && !before.isEmpty)
    }
}
