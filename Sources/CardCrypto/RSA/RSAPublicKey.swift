import COpenSSL
import Foundation
import SwiftASN1

/// An RSA public key, kept as its SubjectPublicKeyInfo DER so it is a plain `Sendable` value.
///
/// Each operation decodes a fresh OpenSSL key from the DER: it costs microseconds next to the RSA operation and
/// means no C object has to be shared or freed behind a value type.
public struct RSAPublicKey: Hashable, Sendable {
    /// SubjectPublicKeyInfo DER, re-encoded by OpenSSL, so two encodings of one key compare equal.
    public private(set) var derRepresentation: [UInt8]
    /// The modulus n, big-endian, no leading zero.
    public private(set) var modulus: [UInt8]
    /// The public exponent e, big-endian, no leading zero.
    public private(set) var publicExponent: [UInt8]
    /// Bits in the modulus (2048 for a card key).
    public private(set) var modulusBitCount: Int

    /// - Parameter derRepresentation: a SubjectPublicKeyInfo with the rsaEncryption algorithm.
    /// - Throws: ``CryptoError/Code/invalidKey`` for bytes that are not one, ``CryptoError/Code/unsupportedKeyType``
    ///   for another algorithm.
    public init(derRepresentation: [UInt8]) throws(CryptoError) {
        let pkey = try OpenSSL.publicKey(fromSubjectPublicKeyInfo: derRepresentation)
        defer { EVP_PKEY_free(pkey) }
        try self.init(pkey: pkey)
    }

    /// A key from its numbers, big-endian unsigned; leading zero bytes are ignored.
    /// - Throws: ``CryptoError/Code/invalidKey`` if the modulus is not odd or the exponent is not an odd number > 1.
    public init(modulus: [UInt8], publicExponent: [UInt8]) throws(CryptoError) {
        let n = Array(modulus.drop { $0 == 0 })
        let e = Array(publicExponent.drop { $0 == 0 })
        try Self.checkNumbers(modulus: n, publicExponent: e)
        // OpenSSL builds keys from numbers only through OSSL_PARAM arrays of native-endian buffers; writing the
        // SubjectPublicKeyInfo is shorter and goes through the same checks as any key read from a certificate.
        let der: [UInt8]
        do {
            var serializer = DER.Serializer()
            try serializer.appendConstructedNode(identifier: .sequence) { spki in
                try spki.appendConstructedNode(identifier: .sequence) { algorithm in
                    try algorithm.serialize(Self.rsaEncryption)
                    try algorithm.serialize(ASN1Null())
                }
                var rsaKey = DER.Serializer()
                try rsaKey.appendConstructedNode(identifier: .sequence) { numbers in
                    try numbers.serialize(n[...])
                    try numbers.serialize(e[...])
                }
                try spki.serialize(ASN1BitString(bytes: rsaKey.serializedBytes[...]))
            }
            der = serializer.serializedBytes
        } catch {
            throw CryptoError(code: .invalidKey, reason: "cannot encode the RSA numbers as DER: \(error)")
        }
        try self.init(derRepresentation: der)
    }

    init(pkey: OpaquePointer) throws(CryptoError) {
        guard EVP_PKEY_is_a(pkey, "RSA") == 1 else {
            throw CryptoError(
                code: .unsupportedKeyType,
                reason: "the key is \(OpenSSL.typeName(of: pkey)), but only RSA (rsaEncryption) keys are supported"
            )
        }
        guard let n = OpenSSL.bignumParameter("n", of: pkey), let e = OpenSSL.bignumParameter("e", of: pkey) else {
            throw OpenSSL.error(.invalidKey, "the RSA key has no modulus or exponent")
        }
        try Self.checkNumbers(modulus: n, publicExponent: e)
        self.derRepresentation = try OpenSSL.subjectPublicKeyInfo(of: pkey)
        self.modulus = n
        self.publicExponent = e
        self.modulusBitCount = Int(EVP_PKEY_get_bits(pkey))
    }

    private static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 1]

    private static func checkNumbers(modulus n: [UInt8], publicExponent e: [UInt8]) throws(CryptoError) {
        guard let nLast = n.last, nLast & 1 == 1 else {
            throw CryptoError(code: .invalidKey, reason: "an RSA modulus must be a non-zero odd number")
        }
        guard let eLast = e.last, eLast & 1 == 1, e != [1] else {
            throw CryptoError(code: .invalidKey, reason: "an RSA public exponent must be an odd number above 1")
        }
    }

    /// The modulus size in bytes, k in RFC 8017; every signature is exactly this long.
    public var modulusByteCount: Int {
        self.modulus.count
    }

    /// PEM "PUBLIC KEY" (SubjectPublicKeyInfo), for logs and for `openssl` on the command line.
    public var pemRepresentation: String {
        PEM.encode(self.derRepresentation, label: "PUBLIC KEY")
    }

    /// Whether `signature` is this key's PKCS#1 v1.5 type-1 signature of `input` exactly as given (what the card's
    /// COMPUTE DIGITAL SIGNATURE produces). The signature must be exactly k bytes long.
    public func isValidPKCS1v15(signature: [UInt8], raw input: [UInt8]) -> Bool {
        guard signature.count == self.modulusByteCount, !input.isEmpty else { return false }
        let result: Bool? = try? self.withKey { pkey throws(CryptoError) in
            try OpenSSL.withContext(for: pkey) { context throws(CryptoError) in
                guard EVP_PKEY_verify_init(context) == 1,
                    EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
                else {
                    throw OpenSSL.error(.openSSLFailure, "cannot set up PKCS#1 v1.5 verification")
                }
                let verified = EVP_PKEY_verify(context, signature, signature.count, input, input.count)
                if verified != 1 {
                    _ = OpenSSL.drainErrors()
                }
                return verified == 1
            }
        }
        return result ?? false
    }

    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 signature of `message` hashed with `hash`, i.e. of the
    /// canonical DigestInfo of that hash.
    public func isValidPKCS1v15(signature: [UInt8], message: [UInt8], hash: HashAlgorithm) -> Bool {
        self.isValidPKCS1v15(signature: signature, raw: DigestInfo.of(hash, message: message))
    }

    /// `EVP_PKEY_verify_recover` with `RSA_PKCS1_PADDING`: the data the signer padded (normally a DigestInfo).
    /// - Throws: ``CryptoError/Code/invalidSignature`` if the signature is not k bytes or does not open into a
    ///   type-1 block with this key.
    public func recoverPKCS1v15(signature: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard signature.count == self.modulusByteCount else {
            throw CryptoError(
                code: .invalidSignature,
                reason: "a signature by this \(self.modulusBitCount)-bit key is \(self.modulusByteCount) bytes, "
                    + "not \(signature.count)"
            )
        }
        return try self.withKey { pkey throws(CryptoError) in
            try OpenSSL.withContext(for: pkey) { context throws(CryptoError) in
                guard EVP_PKEY_verify_recover_init(context) == 1,
                    EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
                else {
                    throw OpenSSL.error(.openSSLFailure, "cannot set up PKCS#1 v1.5 recovery")
                }
                var recovered = [UInt8](repeating: 0, count: self.modulusByteCount)
                var length = recovered.count
                guard
                    EVP_PKEY_verify_recover(context, &recovered, &length, signature, signature.count) == 1
                else {
                    throw OpenSSL.error(
                        .invalidSignature,
                        "the signature does not open into a PKCS#1 v1.5 type-1 block with this public key"
                    )
                }
                return Array(recovered.prefix(length))
            }
        }
    }

    private func withKey<T>(_ body: (OpaquePointer) throws(CryptoError) -> T) throws(CryptoError) -> T {
        let pkey = try OpenSSL.publicKey(fromSubjectPublicKeyInfo: self.derRepresentation)
        defer { EVP_PKEY_free(pkey) }
        return try body(pkey)
    }

    public static func == (lhs: RSAPublicKey, rhs: RSAPublicKey) -> Bool {
        lhs.derRepresentation == rhs.derRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.derRepresentation)
    }
}

/// PEM text from DER: base64 in 64-column lines with `\n` endings (Foundation's line option would use `\r\n`).
enum PEM {
    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var start = base64.startIndex
        while start < base64.endIndex {
            let end = base64.index(start, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[start..<end]))
            start = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
