import Crypto
import Foundation
import InferWireCore
import NIOCertificateReloading
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import X509

/// TLS for the doors from PEM files: the server's certificate chain and private key, and
/// optionally the CA certificates that client certificates must chain to (mutual TLS: then a
/// client without one is refused in the handshake). One value serves the binary, HTTP and gRPC
/// doors, so a reload (SIGHUP) changes the certificate and the client CAs all three use for new
/// connections; connections already open keep theirs.
///
/// Client certificates are checked by `verifyClient` (swift-certificates' RFC 5280 verifier
/// against the CAs of the last good load), not by the trust roots fixed in the NIOSSL context:
/// those cannot change after start, and a rotated client CA must not need a restart.
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
    /// Built once: whether client certificates are asked for is fixed at start; the certificate,
    /// key and client CAs come from `current` for every handshake.
    private let reloadingContext: NIOSSLContext
    /// The same, offering HTTP/2 by ALPN (gRPC clients require "h2").
    private let h2Context: NIOSSLContext

    public init(_ paths: Paths) throws(RepositoryError) {
        self.paths = paths
        let loaded = try Self.load(paths)
        current = CurrentCertificate(loaded)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: loaded.override.certificateChain ?? [], privateKey: loaded.override.privateKey!)
        configuration.minimumTLSVersion = .tlsv12
        if paths.clientCA != nil {
            // Asks for (and requires) a client certificate; `verifyClient` decides on it.
            configuration.certificateVerification = .noHostnameVerification
        }
        // Every handshake asks for the current certificate and key.
        configuration.setCertificateReloader(current)
        do {
            reloadingContext = try NIOSSLContext(configuration: configuration)
            configuration.applicationProtocols = ["h2"]
            h2Context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw RepositoryError(file: paths.certificateChain, message: "cannot set up TLS: \(error)")
        }
    }

    /// The handler a door puts first on each accepted connection.
    /// `offeringHTTP2`: ALPN offers "h2" (the gRPC door).
    public func serverHandler(offeringHTTP2: Bool = false) -> NIOSSLServerHandler {
        let context = offeringHTTP2 ? h2Context : reloadingContext
        guard paths.clientCA != nil else { return NIOSSLServerHandler(context: context) }
        return NIOSSLServerHandler(context: context, customVerificationCallbackWithMetadata: verifyClient)
    }

    /// Reads the files again; on success new handshakes present the new certificate and accept
    /// client certificates from the new CAs only.
    public func reload() throws(RepositoryError) {
        let loaded = try Self.load(paths)
        current.box.withLockedValue { $0 = loaded }
    }

    /// Mutual TLS: the client's chain (leaf first, as sent) must lead to one of the current
    /// client CAs under RFC 5280 (signatures, validity dates, CA constraints). The doors' NIOSSL
    /// handlers and the gRPC transport call this once per handshake.
    public var verifyClient: @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResultWithMetadata>) -> Void {
        let current = self.current
        return { presented, promise in
            let roots = current.box.withLockedValue { $0.clientRoots }
            guard let roots, let first = presented.first, let leaf = try? Certificate(first) else {
                promise.succeed(.failed)
                return
            }
            let intermediates = presented.dropFirst().compactMap { try? Certificate($0) }
            promise.completeWithTask {
                var verifier = Verifier(rootCertificates: roots) { RFC5280Policy() }
                // Nothing downstream reads the validated chain, so none is handed back.
                guard case .validCertificate = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) else {
                    return .failed
                }
                return .certificateVerified(VerificationMetadata(nil))
            }
        }
    }

    /// The leaf certificate's SHA-256, hex: logged at start and reload to say which one serves.
    public var fingerprint: String {
        let leaf = current.box.withLockedValue { $0.override.certificateChain?.first }
        guard case .certificate(let certificate)? = leaf, let der = try? certificate.toDERBytes() else { return "" }
        return SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
    }

    static func load(_ paths: Paths) throws(RepositoryError) -> Loaded {
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
        return Loaded(override: override, clientRoots: try paths.clientCA.map(loadClientRoots))
    }

    /// The client CAs as the verifier's store, built once per load rather than per handshake.
    static func loadClientRoots(_ file: String) throws(RepositoryError) -> CertificateStore {
        let roots: [Certificate]
        do {
            roots = try NIOSSLCertificate.fromPEMFile(file).map { try Certificate($0) }
        } catch {
            throw RepositoryError(file: file, message: "cannot read the client CA certificates: \(error)")
        }
        guard !roots.isEmpty else { throw RepositoryError(file: file, message: "no CA certificate in the file") }
        return CertificateStore(roots)
    }

    /// What one read of the files gave.
    struct Loaded {
        var override: NIOSSLContextConfigurationOverride
        /// The CAs client certificates must chain to; nil without mutual TLS.
        var clientRoots: CertificateStore?
    }
}

extension Certificate {
    init(_ certificate: NIOSSLCertificate) throws {
        try self.init(derEncoded: certificate.toDERBytes())
    }
}

/// The certificate, key and client CAs new handshakes use, swapped by a reload.
final class CurrentCertificate: CertificateReloader {
    let box: NIOLockedValueBox<TLSFiles.Loaded>

    init(_ loaded: TLSFiles.Loaded) {
        box = NIOLockedValueBox(loaded)
    }

    var sslContextConfigurationOverride: NIOSSLContextConfigurationOverride {
        box.withLockedValue { $0.override }
    }
}
