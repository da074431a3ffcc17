import COpenSSL

/// An RSA private key held by OpenSSL (EVP_PKEY). Immutable after creation, so it is safe to share.
///
/// OpenSSL 3 allows one EVP_PKEY to be used from several threads at once as long as each operation has its own
/// EVP_PKEY_CTX, which is what every method here does; that is why the `@unchecked Sendable` holds.
public final class RSAPrivateKey: @unchecked Sendable {
    /// Owned EVP_PKEY; only read after `init`.
    private let pkey: OpaquePointer
    private let pkcs8: [UInt8]
    private let publicKeyValue: RSAPublicKey

    /// Reads an unencrypted RSA private key.
    ///
    /// - Parameter pemRepresentation: PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY". If the text holds several
    ///   PEM blocks the first private key is used.
    /// - Throws: ``CryptoError/Code/invalidPEM`` for text that is not a private-key PEM (including a public key or a
    ///   certificate), ``CryptoError/Code/encryptedKey`` for a password-protected key,
    ///   ``CryptoError/Code/unsupportedKeyType`` for an EC, Ed25519, DSA or RSA-PSS key.
    public convenience init(pemRepresentation: String) throws(CryptoError) {
        try Self.checkLabel(of: pemRepresentation)
        let bytes = Array(pemRepresentation.utf8)
        let pkey: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            // A callback that refuses: without one OpenSSL would prompt for a password on the terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil)
        }
        guard let pkey else {
            throw OpenSSL.error(.invalidPEM, "the PEM text does not decode to a private key")
        }
        try self.init(owning: pkey)
    }

    /// Generates a fresh key with OpenSSL's own random generator.
    ///
    /// A ``RandomSource`` cannot drive OpenSSL's prime search, so keys that must be reproducible are committed
    /// under `Vectors/keys/` instead of being generated from a seed.
    /// - Parameter bits: 1024 to 8192; the card uses 2048.
    public static func generate(bits: Int = 2048) throws(CryptoError) -> RSAPrivateKey {
        guard (1024...8192).contains(bits) else {
            throw CryptoError(code: .invalidKeySize, reason: "RSA keys of 1024 to 8192 bits are supported, not \(bits)")
        }
        return try RSAPrivateKey(owning: try generateKey(bits: bits))
    }

    /// A new EVP_PKEY from OpenSSL's key generator; the caller owns it. (`EVP_PKEY_Q_keygen` is variadic, so Swift
    /// cannot call it.)
    private static func generateKey(bits: Int) throws(CryptoError) -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw OpenSSL.error(.openSSLFailure, "cannot allocate an RSA key-generation context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var generated: OpaquePointer? = nil
        guard EVP_PKEY_keygen_init(context) == 1,
            EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1,
            EVP_PKEY_generate(context, &generated) == 1,
            let generated
        else {
            throw OpenSSL.error(.openSSLFailure, "RSA-\(bits) key generation failed")
        }
        return generated
    }

    /// Takes ownership of `pkey`, freeing it if the key is refused.
    private init(owning pkey: OpaquePointer) throws(CryptoError) {
        let parts: (pkcs8: [UInt8], publicKey: RSAPublicKey)
        do {
            parts = try Self.describe(pkey)
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
        self.pkey = pkey
        self.pkcs8 = parts.pkcs8
        self.publicKeyValue = parts.publicKey
    }

    deinit {
        EVP_PKEY_free(self.pkey)
    }

    private static func describe(_ pkey: OpaquePointer) throws(CryptoError) -> ([UInt8], RSAPublicKey) {
        // RSAPublicKey(pkey:) refuses anything that is not plain RSA, with the name of what it is.
        let publicKey = try RSAPublicKey(pkey: pkey)
        let pkcs8 = try OpenSSL.withMemoryBIO { bio throws(CryptoError) in
            guard i2d_PKCS8PrivateKey_bio(bio, pkey, nil, nil, 0, nil, nil) == 1 else {
                throw OpenSSL.error(.openSSLFailure, "cannot encode the private key as PKCS#8")
            }
            return OpenSSL.contents(of: bio)
        }
        return (pkcs8, publicKey)
    }

    /// Gives a clear error for the PEM blocks OpenSSL would only call "no start line" or ask a password for.
    private static func checkLabel(of pem: String) throws(CryptoError) {
        let labels = pem.split(separator: "\n").compactMap { line -> Substring? in
            let line = line.trimmingSuffix { $0 == "\r" || $0 == " " }
            guard line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 else { return nil }
            return line.dropFirst(11).dropLast(5)
        }
        guard let first = labels.first else {
            throw CryptoError(
                code: .invalidPEM,
                reason: "no '-----BEGIN PRIVATE KEY-----' line: expected a PEM private key (PKCS#8 or PKCS#1)"
            )
        }
        let label = labels.first { $0.hasSuffix("PRIVATE KEY") } ?? first
        switch label {
        case "PRIVATE KEY":
            return
        case "RSA PRIVATE KEY":
            if pem.contains("Proc-Type: 4,ENCRYPTED") {
                throw CryptoError(
                    code: .encryptedKey,
                    reason:
                        "the PKCS#1 key is encrypted; store test keys unencrypted (openssl pkey -in k.pem -out k2.pem)"
                )
            }
        case "ENCRYPTED PRIVATE KEY":
            throw CryptoError(
                code: .encryptedKey,
                reason: "the PKCS#8 key is encrypted; store test keys unencrypted (openssl pkey -in k.pem -out k2.pem)"
            )
        case "EC PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY":
            throw CryptoError(
                code: .unsupportedKeyType,
                reason: "a \(label) was given, but only RSA keys are supported"
            )
        case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
            throw CryptoError(code: .invalidPEM, reason: "a \(label) was given where a private key is needed")
        default:
            throw CryptoError(code: .invalidPEM, reason: "a PEM '\(label)' block is not a private key")
        }
    }

    /// PKCS#8 "PRIVATE KEY" PEM.
    public var pemRepresentation: String {
        PEM.encode(self.pkcs8, label: "PRIVATE KEY")
    }

    /// PKCS#8 PrivateKeyInfo DER.
    public var derRepresentation: [UInt8] {
        self.pkcs8
    }

    /// The matching public key.
    public var publicKey: RSAPublicKey {
        self.publicKeyValue
    }

    /// Bits in the modulus (2048 for a card key).
    public var modulusBitCount: Int {
        self.publicKeyValue.modulusBitCount
    }

    /// What the card's COMPUTE DIGITAL SIGNATURE does: PKCS#1 v1.5 type-1 padding (00 01 FF..FF 00 || input) of the
    /// input exactly as given, then the private-key operation. Input 1...(k-11) bytes, else CryptoError
    /// (inputTooLong / emptyInput). EVP_PKEY_sign with RSA_PKCS1_PADDING and no signature md.
    ///
    /// - Returns: k bytes (256 for RSA-2048), left-padded with zeros when the number is smaller.
    public func signPKCS1v15(raw input: [UInt8]) throws(CryptoError) -> [UInt8] {
        let k = self.publicKeyValue.modulusByteCount
        guard !input.isEmpty else {
            throw CryptoError(code: .emptyInput, reason: "there is nothing to sign: the input is empty")
        }
        guard input.count <= k - 11 else {
            throw CryptoError(
                code: .inputTooLong,
                reason: "\(input.count) bytes do not fit: a \(self.modulusBitCount)-bit key signs at most \(k - 11) "
                    + "bytes with PKCS#1 v1.5 padding"
            )
        }
        return try OpenSSL.withContext(for: self.pkey) { context throws(CryptoError) in
            guard EVP_PKEY_sign_init(context) == 1,
                EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
            else {
                throw OpenSSL.error(.openSSLFailure, "cannot set up PKCS#1 v1.5 signing")
            }
            var signature = [UInt8](repeating: 0, count: k)
            var length = signature.count
            guard EVP_PKEY_sign(context, &signature, &length, input, input.count) == 1, length == k else {
                throw OpenSSL.error(.openSSLFailure, "the RSA private-key operation failed")
            }
            return signature
        }
    }

    /// The bare RSA private-key operation on exactly k bytes (a number below the modulus), no padding: what a
    /// deliberately faulty emulated card uses to pad a signature wrongly. EVP_PKEY_sign with RSA_NO_PADDING.
    public func privateOperation(_ block: [UInt8]) throws(CryptoError) -> [UInt8] {
        let k = self.publicKeyValue.modulusByteCount
        guard block.count == k else {
            throw CryptoError(
                code: .inputTooLong, reason: "the raw RSA operation takes exactly \(k) bytes; got \(block.count)")
        }
        return try OpenSSL.withContext(for: self.pkey) { context throws(CryptoError) in
            guard EVP_PKEY_sign_init(context) == 1, EVP_PKEY_CTX_set_rsa_padding(context, RSA_NO_PADDING) == 1 else {
                throw OpenSSL.error(.openSSLFailure, "cannot set up the raw RSA operation")
            }
            var result = [UInt8](repeating: 0, count: k)
            var length = result.count
            guard EVP_PKEY_sign(context, &result, &length, block, block.count) == 1, length == k else {
                throw OpenSSL.error(.openSSLFailure, "the RSA private-key operation failed")
            }
            return result
        }
    }

    /// The private values as big-endian unsigned bytes, for tests proving no card response ever contains a window of
    /// them: keys "d", "p", "q", "dmp1", "dmq1", "iqmp" (OSSL_PKEY_PARAM_RSA_D, _FACTOR1, _FACTOR2, _EXPONENT1,
    /// _EXPONENT2, _COEFFICIENT1). A value OpenSSL does not hold (a key without CRT values) is left out.
    public var secretComponents: [String: [UInt8]] {
        // The OSSL_PKEY_PARAM_RSA_FACTOR1 family are macros pasted from two strings, which Swift does not import.
        let parameters = [
            "d": "d", "p": "rsa-factor1", "q": "rsa-factor2",
            "dmp1": "rsa-exponent1", "dmq1": "rsa-exponent2", "iqmp": "rsa-coefficient1",
        ]
        var components: [String: [UInt8]] = [:]
        for (name, parameter) in parameters {
            components[name] = OpenSSL.bignumParameter(parameter, of: self.pkey)
        }
        return components
    }
}

extension Substring {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var result = self
        while let last = result.last, predicate(last) {
            result = result.dropLast()
        }
        return result
    }
}
