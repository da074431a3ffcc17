import Foundation
import SwiftASN1
import X509

/// Lets swift-certificates sign with an OpenSSL-held ``RSAPrivateKey``: hash the TBSCertificate, wrap it in a
/// DigestInfo and sign it raw, exactly as a card would. swift-crypto never sees the private key, so it stays an
/// independent second implementation for the tests.
struct OpenSSLCertificateSigner: CustomPrivateKey {
    let key: RSAPrivateKey
    let publicKey: Certificate.PublicKey

    init(_ key: RSAPrivateKey) throws(CryptoError) {
        self.key = key
        self.publicKey = try Certificate.PublicKey(rsa: key.publicKey)
    }

    var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm {
        .sha256WithRSAEncryption
    }

    var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] {
        [.sha256WithRSAEncryption, .sha1WithRSAEncryption]
    }

    func signSynchronously(
        bytes: some DataProtocol,
        signatureAlgorithm: Certificate.SignatureAlgorithm
    ) throws -> Certificate.Signature {
        let hash: HashAlgorithm
        switch signatureAlgorithm {
        case .sha256WithRSAEncryption: hash = .sha256
        case .sha1WithRSAEncryption: hash = .sha1
        default:
            throw CryptoError(
                code: .certificateIssuanceFailed,
                reason:
                    "the test CA signs with sha256WithRSAEncryption or sha1WithRSAEncryption, not \(signatureAlgorithm)"
            )
        }
        let signature = try self.key.signPKCS1v15(raw: DigestInfo.of(hash, message: Array(bytes)))
        return try Certificate.Signature(
            signatureAlgorithm: signatureAlgorithm,
            signatureBytes: ASN1BitString(bytes: signature[...])
        )
    }

    // PEMSerializable is required by CustomPrivateKey; it writes the PKCS#8 key.
    static var defaultPEMDiscriminator: String {
        "PRIVATE KEY"
    }

    func serialize(into coder: inout DER.Serializer) throws {
        coder.serializeRawBytes(self.key.derRepresentation)
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.key === rhs.key || lhs.key.derRepresentation == rhs.key.derRepresentation
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.key.publicKey)
    }
}

extension Certificate.PublicKey {
    /// swift-certificates' view of an ``RSAPublicKey``, through its SubjectPublicKeyInfo.
    init(rsa: RSAPublicKey) throws(CryptoError) {
        do {
            self = try Certificate.PublicKey(derEncoded: rsa.derRepresentation)
        } catch {
            throw CryptoError(code: .invalidKey, reason: "swift-certificates cannot read the RSA public key: \(error)")
        }
    }
}
