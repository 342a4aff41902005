import Crypto
import Foundation
import InferWireCore
import NIOCertificateReloading
import NIOConcurrencyHelpers
import NIOSSL

/// TLS for the doors from PEM files: the server's certificate chain and private key, and
/// optionally the CA certificates that client certificates must chain to (mutual TLS: then a
/// client without one is refused in the handshake). One value serves the binary, HTTP and gRPC
/// doors, so a reload (SIGHUP) changes the certificate all three present to new connections;
/// connections already open keep theirs.
///
/// A reload that fails (a missing file, a key that does not match the certificate) keeps the
/// certificate in use and reports why: a bad deploy never takes the doors down.
public final class TLSFiles: Sendable {
    public struct Paths: Sendable, Equatable {
        public var certificateChain: String
        public var privateKey: String
        /// PEM CA certificates; set: every client must present a certificate they signed.
        public var clientCA: String?

        public init(certificateChain: String, privateKey: String, clientCA: String? = nil) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.clientCA = clientCA
        }
    }

    public let paths: Paths
    private let current: CurrentCertificate
    /// The server configuration, built once: verification and trust roots are fixed at start;
    /// the certificate and key come from `current` for every handshake.
    public let configuration: TLSConfiguration
    private let reloadingContext: NIOSSLContext

    public init(_ paths: Paths) throws(RepositoryError) {
        self.paths = paths
        let loaded = try Self.load(paths)
        current = CurrentCertificate(loaded)
        do {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: loaded.certificateChain ?? [], privateKey: loaded.privateKey!)
            configuration.minimumTLSVersion = .tlsv12
            if let clientCA = paths.clientCA {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
            }
            self.configuration = configuration
        } catch {
            throw RepositoryError(file: paths.clientCA ?? paths.certificateChain, message: "cannot read the client CA certificates: \(error)")
        }
        // Every handshake asks for the current certificate and key.
        var withReloads = configuration
        withReloads.setCertificateReloader(current)
        do {
            reloadingContext = try NIOSSLContext(configuration: withReloads)
        } catch {
            throw RepositoryError(file: paths.certificateChain, message: "cannot set up TLS: \(error)")
        }
    }

    /// What gRPC's transport takes to ask for the current certificate on every handshake.
    public var reloader: some CertificateReloader { current }

    /// The handler a door puts first on each accepted connection.
    public func serverHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: reloadingContext)
    }

    /// Reads the files again; on success new handshakes present the new certificate.
    public func reload() throws(RepositoryError) {
        let loaded = try Self.load(paths)
        current.box.withLockedValue { $0 = loaded }
    }

    /// The leaf certificate's SHA-256, hex: logged at start and reload to say which one serves.
    public var fingerprint: String {
        let leaf = current.box.withLockedValue { $0.certificateChain?.first }
        guard case .certificate(let certificate)? = leaf, let der = try? certificate.toDERBytes() else { return "" }
        return SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
    }

    static func load(_ paths: Paths) throws(RepositoryError) -> NIOSSLContextConfigurationOverride {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(paths.certificateChain)
        } catch {
            throw RepositoryError(file: paths.certificateChain, message: "cannot read a PEM certificate chain: \(error)")
        }
        guard !chain.isEmpty else { throw RepositoryError(file: paths.certificateChain, message: "no certificate in the file") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: paths.privateKey, format: .pem)
        } catch {
            throw RepositoryError(file: paths.privateKey, message: "cannot read a PEM private key")
        }
        // A key that does not match the certificate fails here, not in every handshake.
        do {
            var check = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            check.minimumTLSVersion = .tlsv12
            _ = try NIOSSLContext(configuration: check)
        } catch {
            throw RepositoryError(file: paths.privateKey, message: "the private key does not match the certificate (\(error))")
        }
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = chain.map { .certificate($0) }
        override.privateKey = .privateKey(key)
        return override
    }
}

/// The certificate and key new handshakes use, swapped by a reload.
final class CurrentCertificate: CertificateReloader {
    let box: NIOLockedValueBox<NIOSSLContextConfigurationOverride>

    init(_ override: NIOSSLContextConfigurationOverride) {
        box = NIOLockedValueBox(override)
    }

    var sslContextConfigurationOverride: NIOSSLContextConfigurationOverride {
        box.withLockedValue { $0 }
    }
}
