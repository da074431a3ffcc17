import COpenSSL

/// AES and triple DES over OpenSSL's EVP interface, without padding (ICAO 9303 pads explicitly).
public enum BlockCipher {
    /// Encrypts whole blocks.
    /// - Throws: ``CryptoError/Code/invalidDataLength`` if `data` is not a whole number of blocks or the IV is not one
    ///   block long.
    public static func encrypt(_ data: [UInt8], key: BlockCipherKey, mode: BlockCipherMode) throws(CryptoError)
        -> [UInt8]
    {
        try self.run(data, key: key, mode: mode, encrypting: true)
    }

    /// Decrypts whole blocks; no padding is removed.
    public static func decrypt(_ data: [UInt8], key: BlockCipherKey, mode: BlockCipherMode) throws(CryptoError)
        -> [UInt8]
    {
        try self.run(data, key: key, mode: mode, encrypting: false)
    }

    private static func run(
        _ data: [UInt8],
        key: BlockCipherKey,
        mode: BlockCipherMode,
        encrypting: Bool
    ) throws(CryptoError) -> [UInt8] {
        let blockSize = key.blockSize
        guard data.count.isMultiple(of: blockSize) else {
            throw CryptoError(
                code: .invalidDataLength,
                reason: "\(data.count) bytes are not a whole number of \(blockSize)-byte \(key.algorithm.rawValue) "
                    + "blocks; pad the data first (ISO/IEC 7816-4 padding: 80 00 …)"
            )
        }
        var iv: [UInt8]? = nil
        if case .cbc(let vector) = mode {
            guard vector.count == blockSize else {
                throw CryptoError(
                    code: .invalidDataLength,
                    reason: "a \(key.algorithm.rawValue) CBC initial vector is \(blockSize) bytes, not \(vector.count)"
                )
            }
            iv = vector
        }
        if data.isEmpty { return [] }
        let context = try CipherContext(key: key, cbc: iv != nil, iv: iv, encrypting: encrypting)
        return try context.update(data)
    }
}

/// A block cipher that stays keyed across calls, CBC chaining carrying over from one call to the next: for long
/// streams and the AESAVS Monte Carlo tests, where setting up a key per block would dominate.
public final class BlockCipherStream {
    private let context: CipherContext

    /// - Throws: ``CryptoError/Code/invalidDataLength`` for an IV that is not one block.
    public init(key: BlockCipherKey, mode: BlockCipherMode, encrypting: Bool) throws(CryptoError) {
        var iv: [UInt8]? = nil
        if case .cbc(let vector) = mode {
            guard vector.count == key.blockSize else {
                throw CryptoError(
                    code: .invalidDataLength,
                    reason:
                        "a \(key.algorithm.rawValue) CBC initial vector is \(key.blockSize) bytes, not \(vector.count)"
                )
            }
            iv = vector
        }
        self.context = try CipherContext(key: key, cbc: iv != nil, iv: iv, encrypting: encrypting)
    }

    /// Encrypts or decrypts whole blocks.
    /// - Throws: ``CryptoError/Code/invalidDataLength`` for data that is not whole blocks.
    public func process(_ blocks: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard blocks.count.isMultiple(of: self.context.blockSize) else {
            throw CryptoError(
                code: .invalidDataLength,
                reason: "\(blocks.count) bytes are not a whole number of \(self.context.blockSize)-byte blocks"
            )
        }
        return blocks.isEmpty ? [] : try self.context.update(blocks)
    }
}

/// One EVP_CIPHER_CTX set up with a key (and IV), for callers that push many blocks through the same key: the AES
/// Monte Carlo tests and secure messaging's IV computation. Padding is off; input must be whole blocks.
final class CipherContext {
    private let context: OpaquePointer
    let blockSize: Int

    init(key: BlockCipherKey, cbc: Bool, iv: [UInt8]?, encrypting: Bool) throws(CryptoError) {
        let cipher = try FetchedCipher.named(key.cipherName(cbc: cbc))
        guard let context = EVP_CIPHER_CTX_new() else {
            throw OpenSSL.error(.openSSLFailure, "cannot allocate an EVP_CIPHER_CTX")
        }
        let keyBytes = key.openSSLKey
        let initialised: Int32
        if let iv {
            initialised = EVP_CipherInit_ex2(context, cipher, keyBytes, iv, encrypting ? 1 : 0, nil)
        } else {
            initialised = EVP_CipherInit_ex2(context, cipher, keyBytes, nil, encrypting ? 1 : 0, nil)
        }
        guard initialised == 1, EVP_CIPHER_CTX_set_padding(context, 0) == 1 else {
            EVP_CIPHER_CTX_free(context)
            throw OpenSSL.error(.openSSLFailure, "cannot set up \(key.cipherName(cbc: cbc))")
        }
        self.context = context
        self.blockSize = key.blockSize
    }

    deinit {
        EVP_CIPHER_CTX_free(self.context)
    }

    /// Pushes whole blocks through; CBC chaining carries over between calls.
    func update(_ data: [UInt8]) throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: data.count + self.blockSize)
        var written: Int32 = 0
        guard EVP_CipherUpdate(self.context, &output, &written, data, Int32(data.count)) == 1,
            Int(written) == data.count
        else {
            throw OpenSSL.error(.openSSLFailure, "the block cipher failed on \(data.count) bytes")
        }
        output.removeLast(output.count - Int(written))
        return output
    }
}

/// Ciphers fetched once from OpenSSL's default provider and kept for the life of the process: an explicit fetch
/// per operation would cost more than the encryption of a short APDU.
private final class FetchedCipher: @unchecked Sendable {
    // Written once in init, then only read; EVP_CIPHER objects are immutable and shareable between threads.
    private let pointer: OpaquePointer?
    private let name: String

    private init(_ name: String) {
        self.name = name
        self.pointer = EVP_CIPHER_fetch(nil, name, nil)
        if self.pointer == nil {
            _ = OpenSSL.drainErrors()
        }
    }

    private static let table: [String: FetchedCipher] = {
        var table: [String: FetchedCipher] = [:]
        for name in [
            "AES-128-CBC", "AES-192-CBC", "AES-256-CBC", "AES-128-ECB", "AES-192-ECB", "AES-256-ECB",
            "DES-EDE3-CBC", "DES-EDE3-ECB",
        ] {
            table[name] = FetchedCipher(name)
        }
        return table
    }()

    static func named(_ name: String) throws(CryptoError) -> OpaquePointer {
        guard let pointer = table[name]?.pointer else {
            throw CryptoError(
                code: .openSSLFailure,
                reason: "OpenSSL's default provider has no \(name) cipher; is this OpenSSL 3 with its default provider?"
            )
        }
        return pointer
    }
}
