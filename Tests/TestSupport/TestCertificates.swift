import Foundation

/// A throwaway PKI made with the openssl command line: a CA, a server certificate for
/// 127.0.0.1 / localhost, and a client certificate, all signed by the CA (P-256, valid 2 days).
/// `renewServer()` issues a new server certificate under another subject, as a rotation would.
public struct TestCertificates: Sendable {
    public let folder: String
    public var ca: String { folder + "/ca.pem" }
    public var serverCertificate: String { folder + "/server.pem" }
    public var serverKey: String { folder + "/server.key" }
    public var clientCertificate: String { folder + "/client.pem" }
    public var clientKey: String { folder + "/client.key" }

    public static func make(in folder: String) async throws -> TestCertificates {
        let certificates = TestCertificates(folder: folder)
        try "[server]\nsubjectAltName = IP:127.0.0.1, DNS:localhost\n[client]\nextendedKeyUsage = clientAuth\n"
            .write(toFile: folder + "/ext.cnf", atomically: true, encoding: .utf8)
        try await certificates.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                        "-keyout", folder + "/ca.key", "-out", certificates.ca, "-days", "2", "-subj", "/CN=InferWire test CA"])
        try await certificates.issue("server", subject: "server")
        try await certificates.issue("client", subject: "client")
        return certificates
    }

    /// A new server certificate and key in place of the old ones.
    public func renewServer(subject: String) async throws {
        try await issue("server", subject: subject)
    }

    private func issue(_ name: String, subject: String) async throws {
        try await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(folder)/\(name).key",
                           "-out", "\(folder)/\(name).csr", "-subj", "/CN=\(subject)"])
        try await openssl(["x509", "-req", "-in", "\(folder)/\(name).csr", "-CA", ca, "-CAkey", folder + "/ca.key", "-CAcreateserial",
                           "-out", "\(folder)/\(name).pem", "-days", "2", "-extfile", folder + "/ext.cnf", "-extensions", name])
    }

    private func openssl(_ arguments: [String]) async throws {
        let result = try await ChildProcess.run("/usr/bin/openssl", arguments)
        guard result.status == 0 else {
            throw ChildProcess.Missing(description: "openssl \(arguments.first ?? "") failed: \(String(decoding: result.stderr, as: UTF8.self))")
        }
    }
}
