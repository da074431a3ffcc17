import COpenSSL

/// The hash functions the card's clients put inside a DigestInfo: SHA-1 (jpki-rs) and SHA-256 (everyone else), and
/// the rest of the SHA-2 family that RFC 8017 gives DigestInfo prefixes for, which published signature vectors use.
public enum HashAlgorithm: String, Sendable, CaseIterable, Hashable {
    case sha1
    case sha256
    case sha224
    case sha384
    case sha512

    /// Output size in bytes: 20 for SHA-1, 28/32/48/64 for SHA-224/256/384/512.
    public var digestLength: Int {
        switch self {
        case .sha1: 20
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The digest of `data`, computed by OpenSSL (`EVP_Digest`).
    ///
    /// It does not throw: hashing a buffer in memory only fails if OpenSSL itself is broken, and then nothing in
    /// this target can be trusted, so that is a crash rather than an error to handle.
    public func hash(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, self.messageDigest, nil)
        }
        precondition(ok == 1 && Int(length) == self.digestLength, "EVP_Digest failed: \(OpenSSL.drainErrors())")
        return Array(digest.prefix(Int(length)))
    }

    private var messageDigest: OpaquePointer {
        switch self {
        case .sha1: EVP_sha1()
        case .sha224: EVP_sha224()
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }
}
