/// The DER `DigestInfo` (RFC 8017 §9.2) that card clients send to COMPUTE DIGITAL SIGNATURE.
///
/// Only the canonical encodings with an explicit NULL parameter are produced and recognised, because that is what
/// every client studied sends; a DigestInfo without the NULL is reported as unknown rather than silently accepted.
public enum DigestInfo {
    /// The bytes before the digest, per algorithm (RFC 8017 §9.2, note 1).
    static func prefix(for algorithm: HashAlgorithm) -> [UInt8] {
        switch algorithm {
        case .sha1:
            [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14]
        case .sha256:
            [
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04, 0x20,
            ]
        case .sha224:
            [
                0x30, 0x2D, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00,
                0x04, 0x1C,
            ]
        case .sha384:
            [
                0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
                0x04, 0x30,
            ]
        case .sha512:
            [
                0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
                0x04, 0x40,
            ]
        }
    }

    /// DER DigestInfo: SHA-1 prefix `30 21 30 09 06 05 2B 0E 03 02 1A 05 00 04 14`, SHA-256 prefix
    /// `30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20` (SHA-224/384/512: RFC 8017 §9.2 note 1), then the
    /// digest.
    ///
    /// - Precondition: `digest.count == algorithm.digestLength`; anything else is a bug in the caller.
    public static func encode(_ algorithm: HashAlgorithm, digest: [UInt8]) -> [UInt8] {
        precondition(
            digest.count == algorithm.digestLength,
            "a \(algorithm) digest is \(algorithm.digestLength) bytes, not \(digest.count)"
        )
        return prefix(for: algorithm) + digest
    }

    /// `encode(algorithm, digest: algorithm.hash(message))`.
    public static func of(_ algorithm: HashAlgorithm, message: [UInt8]) -> [UInt8] {
        encode(algorithm, digest: algorithm.hash(message))
    }

    /// The algorithm and digest of a canonical DigestInfo of one of the `HashAlgorithm`s; nil for anything else,
    /// including a right prefix with a wrong length.
    public static func decode(_ bytes: [UInt8]) -> (algorithm: HashAlgorithm, digest: [UInt8])? {
        for algorithm in HashAlgorithm.allCases {
            let prefix = prefix(for: algorithm)
            if bytes.count == prefix.count + algorithm.digestLength, bytes.starts(with: prefix) {
                return (algorithm, Array(bytes.dropFirst(prefix.count)))
            }
        }
        return nil
    }
}
