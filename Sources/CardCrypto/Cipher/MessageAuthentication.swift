import COpenSSL

/// CMAC (NIST SP 800-38B; RFC 4493 for AES-128) over OpenSSL's EVP_MAC, for AES and triple-DES keys.
public enum CMAC {
    /// The full tag: 16 bytes with an AES key, 8 with a triple-DES key. Secure messaging keeps the first 8 bytes.
    public static func tag(for message: [UInt8], key: BlockCipherKey) throws(CryptoError) -> [UInt8] {
        guard let mac = FetchedCMAC.shared.pointer else {
            throw CryptoError(code: .openSSLFailure, reason: "OpenSSL's default provider has no CMAC")
        }
        guard let context = EVP_MAC_CTX_new(mac) else {
            throw OpenSSL.error(.openSSLFailure, "cannot allocate an EVP_MAC_CTX")
        }
        defer { EVP_MAC_CTX_free(context) }
        let keyBytes = key.openSSLKey
        // OSSL_PARAM_construct_utf8_string takes a mutable buffer; the name is copied into one that outlives init.
        var cipherName = Array(key.cipherName(cbc: true).utf8CString)
        let initialised = cipherName.withUnsafeMutableBufferPointer { name in
            var parameters = [
                OSSL_PARAM_construct_utf8_string("cipher", name.baseAddress, 0),
                OSSL_PARAM_construct_end(),
            ]
            return EVP_MAC_init(context, keyBytes, keyBytes.count, &parameters)
        }
        guard initialised == 1, EVP_MAC_update(context, message, message.count) == 1 else {
            throw OpenSSL.error(.openSSLFailure, "cannot compute a CMAC with a \(key)")
        }
        var tag = [UInt8](repeating: 0, count: 16)
        var length = 0
        guard EVP_MAC_final(context, &tag, &length, tag.count) == 1, length == key.blockSize else {
            throw OpenSSL.error(.openSSLFailure, "the CMAC computation failed")
        }
        return Array(tag.prefix(length))
    }
}

private final class FetchedCMAC: @unchecked Sendable {
    // Fetched once and only read afterwards; EVP_MAC objects are shareable between threads.
    let pointer: OpaquePointer?

    private init() {
        self.pointer = EVP_MAC_fetch(nil, "CMAC", nil)
        if self.pointer == nil {
            _ = OpenSSL.drainErrors()
        }
    }

    static let shared = FetchedCMAC()
}

/// How a MAC's input is padded before the blocks are chained (ISO/IEC 9797-1 §6.3).
public enum MACPadding: Sendable, Hashable {
    /// None: the input must already be a whole number of blocks.
    case none
    /// Padding method 2: `80`, then `00` to a whole block; the same as ISO/IEC 7816-4 padding.
    case method2
}

/// ISO/IEC 9797-1 MAC algorithm 3 with DES, the "retail MAC" of ICAO 9303's BAC and 3DES secure messaging:
/// single-DES CBC-MAC with K1 over every block, then the last result decrypted with K2 and encrypted with K1.
public enum RetailMAC {
    /// The 8-byte MAC of `message` under a two-key triple-DES key K1‖K2.
    ///
    /// OpenSSL 3 keeps single DES in its legacy provider, so the chain runs through DES-EDE3 with K1‖K1‖K1 (which is
    /// single DES with K1), and the final step is one DES-EDE3 block with K1‖K2‖K1.
    /// - Throws: ``CryptoError/Code/invalidKeyLength`` for a key other than a 16-byte triple-DES key,
    ///   ``CryptoError/Code/invalidDataLength`` for unpadded input that is not a whole number of blocks or is empty.
    public static func tag(
        for message: [UInt8],
        key: BlockCipherKey,
        padding: MACPadding = .method2
    ) throws(CryptoError) -> [UInt8] {
        guard key.algorithm == .tripleDES, key.bytes.count == 16 else {
            throw CryptoError(
                code: .invalidKeyLength,
                reason: "the retail MAC takes a two-key triple-DES key (K1‖K2, 16 bytes), not a \(key)"
            )
        }
        let data = padding == .method2 ? ISO7816Padding.pad(message, blockSize: 8) : message
        guard !data.isEmpty, data.count.isMultiple(of: 8) else {
            throw CryptoError(
                code: .invalidDataLength,
                reason: "unpadded MAC input must be a non-empty whole number of 8-byte blocks, not \(data.count) bytes"
            )
        }
        let k1 = Array(key.bytes.prefix(8))
        let singleDES = try BlockCipherKey(tripleDES: k1 + k1 + k1)
        var chained = [UInt8](repeating: 0, count: 8)
        if data.count > 8 {
            let head = try BlockCipher.encrypt(Array(data.dropLast(8)), key: singleDES, mode: .cbc(iv: chained))
            chained = Array(head.suffix(8))
        }
        let lastBlock = zip(chained, data.suffix(8)).map { $0 ^ $1 }
        return try BlockCipher.encrypt(lastBlock, key: key, mode: .ecb)
    }
}
