/// A symmetric block-cipher key: AES-128/192/256, or triple DES with two keys (K1‖K2, used as K1‖K2‖K1) or three.
///
/// The bytes are checked once, here, so every operation that takes a key can rely on its length.
public struct BlockCipherKey: Sendable, Hashable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, Hashable {
        case aes = "AES"
        case tripleDES = "3DES"
    }

    public let algorithm: Algorithm
    /// The key as given: 16/24/32 bytes for AES, 16 (two-key) or 24 (three-key) for triple DES.
    public let bytes: [UInt8]

    /// - Throws: ``CryptoError/Code/invalidKeyLength`` unless the key is 16, 24 or 32 bytes.
    public init(aes bytes: [UInt8]) throws(CryptoError) {
        guard [16, 24, 32].contains(bytes.count) else {
            throw CryptoError(
                code: .invalidKeyLength,
                reason: "an AES key is 16, 24 or 32 bytes (AES-128/192/256), not \(bytes.count)"
            )
        }
        self.algorithm = .aes
        self.bytes = bytes
    }

    /// - Parameter bytes: K1‖K2 (two-key triple DES, as ICAO 9303 uses) or K1‖K2‖K3. DES parity bits are not
    ///   checked: OpenSSL ignores them, and so do cards.
    /// - Throws: ``CryptoError/Code/invalidKeyLength`` unless the key is 16 or 24 bytes.
    public init(tripleDES bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 16 || bytes.count == 24 else {
            throw CryptoError(
                code: .invalidKeyLength,
                reason: "a triple-DES key is 16 bytes (K1‖K2) or 24 bytes (K1‖K2‖K3), not \(bytes.count)"
            )
        }
        self.algorithm = .tripleDES
        self.bytes = bytes
    }

    /// 16 bytes for AES, 8 for DES.
    public var blockSize: Int {
        self.algorithm == .aes ? 16 : 8
    }

    /// "AES-128 key", "2-key 3DES key": never the key bytes, so a key can be logged by accident without harm.
    public var description: String {
        switch self.algorithm {
        case .aes: "AES-\(self.bytes.count * 8) key"
        case .tripleDES: "\(self.bytes.count / 8)-key 3DES key"
        }
    }

    /// What OpenSSL's DES-EDE3 ciphers take: a two-key key is expanded to K1‖K2‖K1.
    var openSSLKey: [UInt8] {
        self.algorithm == .tripleDES && self.bytes.count == 16 ? self.bytes + self.bytes.prefix(8) : self.bytes
    }

    /// OpenSSL's name of this key's cipher in the given mode ("AES-128-CBC", "DES-EDE3-ECB").
    func cipherName(cbc: Bool) -> String {
        let mode = cbc ? "CBC" : "ECB"
        switch self.algorithm {
        case .aes: return "AES-\(self.bytes.count * 8)-\(mode)"
        case .tripleDES: return "DES-EDE3-\(mode)"
        }
    }
}

/// How blocks are chained. Padding is never added or removed by the cipher: callers pad explicitly (ISO/IEC 7816-4
/// padding for secure messaging), so that what is encrypted is exactly what a specification shows.
public enum BlockCipherMode: Sendable, Hashable {
    case ecb
    /// Cipher block chaining with this initial vector (one block long).
    case cbc(iv: [UInt8])
}
