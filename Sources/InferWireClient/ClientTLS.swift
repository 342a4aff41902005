import NIOCore
import NIOSSL

/// TLS to a server whose doors speak it: the CA certificates to trust (PEM; nil: the system's),
/// and for mutual TLS this client's certificate chain and key (PEM). The server's name is
/// checked against its certificate (`serverName`, else the host connected to).
public struct ClientTLS: Sendable {
    public var trustRoots: String?
    public var certificateChain: String?
    public var privateKey: String?
    public var serverName: String?

    public init(trustRoots: String? = nil, certificateChain: String? = nil, privateKey: String? = nil, serverName: String? = nil) {
        self.trustRoots = trustRoots
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.serverName = serverName
    }

    /// A context for connections to `host`; errors name the file that could not be used.
    func context() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let trustRoots {
            configuration.trustRoots = .certificates(try Self.read(trustRoots) { try NIOSSLCertificate.fromPEMFile($0) })
        }
        if let certificateChain, let privateKey {
            configuration.certificateChain = try Self.read(certificateChain) { try NIOSSLCertificate.fromPEMFile($0) }.map { .certificate($0) }
            configuration.privateKey = .privateKey(try Self.read(privateKey) { try NIOSSLPrivateKey(file: $0, format: .pem) })
        }
        return try NIOSSLContext(configuration: configuration)
    }

    func handler(context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
        // An IP address is not a host name: SNI is not sent for one, and the certificate's IP
        // SAN is what NIOSSL checks it against.
        let name = serverName ?? host
        let isAddress = (try? SocketAddress(ipAddress: name, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : name)
    }

    private static func read<T>(_ path: String, _ body: (String) throws -> T) throws -> T {
        do {
            return try body(path)
        } catch {
            throw TLSFileError(path: path, reason: "\(error)")
        }
    }
}

/// A TLS file the client could not use.
public struct TLSFileError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot use the TLS file \(path): \(reason)" }
}
