import APDU

/// The two secure-messaging suites of ICAO Doc 9303 Part 11 that mynaconf's card profile allows (docs/secure-messaging.md).
///
/// A suite fixes the cipher, the checksum, the key derivation and the size of the send-sequence counter. Both sides of
/// a session (``SecureMessagingHostSession``, ``SecureMessagingCardSession``) take their cryptography from here and
/// nothing else, so a suite is the one place where the two can share a mistake; published vectors guard it.
public enum SecureMessagingSuite: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// ICAO 9303-11 Basic Access Control: two-key triple DES in CBC mode with a zero IV, the ISO/IEC 9797-1 MAC
    /// algorithm 3 (retail MAC), an 8-byte send-sequence counter, keys derived with SHA-1 and DES parity adjusted.
    case tripleDES = "3des"
    /// ICAO 9303-11 AES-128 secure messaging: AES-CBC with IV = E(KSenc, SSC), AES-CMAC truncated to 8 bytes, a 16-byte
    /// send-sequence counter, keys derived with SHA-1 (§9.7.1).
    case aes128

    /// The length of every key of the suite (K_enc, K_mac and the session keys): 16 bytes.
    public var keyLength: Int { 16 }

    /// 8 bytes for DES, 16 for AES. Data is padded to this, and the send-sequence counter is this long.
    public var blockSize: Int {
        switch self {
        case .tripleDES: 8
        case .aes128: 16
        }
    }

    /// The cryptographic checksum in DO 8E and in the mutual-authentication cryptograms is always 8 bytes.
    public static let checksumLength = 8

    public var description: String { self.rawValue }

    /// ICAO 9303-11 §9.7.1: KDF(K, c) = the first 16 bytes of SHA-1(K ‖ c), c a 32-bit big-endian counter; for triple
    /// DES each 8-byte half then gets odd DES parity (the low bit of each byte), as the BAC worked example shows.
    public func deriveKey(from seed: [UInt8], purpose: KeyDerivationPurpose) -> [UInt8] {
        let counter = purpose.rawValue
        let input = seed + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: counter >> $0) }
        let digest = Array(HashAlgorithm.sha1.hash(input).prefix(16))
        switch self {
        case .tripleDES: return digest.map(Self.withOddParity)
        case .aes128: return digest
        }
    }

    /// K_enc and K_mac from a key seed (BAC: from the MRZ; after mutual authentication: K.IFD ⊕ K.IC).
    public func deriveKeys(from seed: [UInt8]) -> SecureMessagingKeys {
        // The derived keys have the suite's length by construction.
        try! SecureMessagingKeys(
            suite: self,
            encryption: self.deriveKey(from: seed, purpose: .encryption),
            mac: self.deriveKey(from: seed, purpose: .mac)
        )
    }

    /// The low bit of a DES key byte set so the byte has an odd number of 1 bits.
    static func withOddParity(_ byte: UInt8) -> UInt8 {
        let upper = byte & 0xFE
        return upper.nonzeroBitCount.isMultiple(of: 2) ? upper | 0x01 : upper
    }

    func cipherKey(_ bytes: [UInt8]) throws(CryptoError) -> BlockCipherKey {
        switch self {
        case .tripleDES: try BlockCipherKey(tripleDES: bytes)
        case .aes128: try BlockCipherKey(aes: bytes)
        }
    }

    /// The IV for the data of one APDU: zero for triple DES, E(KSenc, SSC) for AES (ICAO 9303-11 §9.8).
    func initialVector(key: BlockCipherKey, counter: SendSequenceCounter) throws(CryptoError) -> [UInt8] {
        switch self {
        case .tripleDES: return [UInt8](repeating: 0, count: 8)
        case .aes128: return try BlockCipher.encrypt(counter.bytes, key: key, mode: .ecb)
        }
    }

    /// Pads `data` (ISO/IEC 7816-4) and encrypts it under the IV this counter gives.
    func encrypt(_ data: [UInt8], key: BlockCipherKey, counter: SendSequenceCounter) throws(CryptoError) -> [UInt8] {
        let iv = try self.initialVector(key: key, counter: counter)
        return try BlockCipher.encrypt(
            ISO7816Padding.pad(data, blockSize: self.blockSize), key: key, mode: .cbc(iv: iv))
    }

    /// Decrypts a cryptogram and removes its padding.
    func decrypt(_ cryptogram: [UInt8], key: BlockCipherKey, counter: SendSequenceCounter) throws(CryptoError)
        -> [UInt8]
    {
        guard !cryptogram.isEmpty, cryptogram.count.isMultiple(of: self.blockSize) else {
            throw CryptoError(
                code: .malformedDataObject,
                reason: "the cryptogram is \(cryptogram.count) bytes, not a non-empty whole number of "
                    + "\(self.blockSize)-byte blocks"
            )
        }
        let iv = try self.initialVector(key: key, counter: counter)
        let padded = try BlockCipher.decrypt(cryptogram, key: key, mode: .cbc(iv: iv))
        return try ISO7816Padding.unpad(padded, blockSize: self.blockSize)
    }

    /// The 8-byte cryptographic checksum of `data`, which is padded first (ISO/IEC 9797-1 method 2, to the suite's
    /// block size): the retail MAC for triple DES, AES-CMAC cut to 8 bytes for AES.
    func checksum(_ data: [UInt8], key: BlockCipherKey) throws(CryptoError) -> [UInt8] {
        let padded = ISO7816Padding.pad(data, blockSize: self.blockSize)
        switch self {
        case .tripleDES: return try RetailMAC.tag(for: padded, key: key, padding: .none)
        case .aes128: return Array(try CMAC.tag(for: padded, key: key).prefix(Self.checksumLength))
        }
    }
}

/// The counter c of the ICAO key derivation function (9303-11 §9.7.1).
public enum KeyDerivationPurpose: UInt32, Sendable, Hashable {
    case encryption = 1
    case mac = 2
    /// PACE's password key K_π; listed for completeness, not used by the card profile.
    case password = 3
}

/// An encryption key and a MAC key of one suite: the access keys before mutual authentication (K_enc, K_mac) or the
/// session keys after it (KS_enc, KS_mac).
public struct SecureMessagingKeys: Sendable, Hashable {
    public let suite: SecureMessagingSuite
    public let encryption: [UInt8]
    public let mac: [UInt8]
    let encryptionKey: BlockCipherKey
    let macKey: BlockCipherKey

    /// - Throws: ``CryptoError/Code/invalidKeyLength`` unless both keys are the suite's 16 bytes.
    public init(suite: SecureMessagingSuite, encryption: [UInt8], mac: [UInt8]) throws(CryptoError) {
        for (name, key) in [("encryption", encryption), ("MAC", mac)] where key.count != suite.keyLength {
            throw CryptoError(
                code: .invalidKeyLength,
                reason: "the \(suite) \(name) key is \(suite.keyLength) bytes, not \(key.count)"
            )
        }
        self.suite = suite
        self.encryption = encryption
        self.mac = mac
        self.encryptionKey = try suite.cipherKey(encryption)
        self.macKey = try suite.cipherKey(mac)
    }

    public static func == (lhs: SecureMessagingKeys, rhs: SecureMessagingKeys) -> Bool {
        lhs.suite == rhs.suite && lhs.encryption == rhs.encryption && lhs.mac == rhs.mac
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.suite)
        hasher.combine(self.encryption)
        hasher.combine(self.mac)
    }
}

/// The send-sequence counter (SSC): a big-endian number as long as the suite's block, incremented before every
/// protected command and every protected response, and authenticated with each of them.
public struct SendSequenceCounter: Sendable, Hashable, CustomStringConvertible {
    public private(set) var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The counter after BAC-style mutual authentication: the last 4 bytes of RND.IC, then the last 4 of RND.IFD
    /// (ICAO 9303-11 §9.8, Appendix D). For AES the same 8 bytes are preceded by 8 zero bytes — an assumption of the card
    /// profile (docs/secure-messaging.md): ICAO's AES counter starts at zero after PACE, which the card does not use.
    public static func initial(
        suite: SecureMessagingSuite,
        cardChallenge: [UInt8],
        hostChallenge: [UInt8]
    ) -> SendSequenceCounter {
        let tail = Array(cardChallenge.suffix(4)) + Array(hostChallenge.suffix(4))
        return SendSequenceCounter([UInt8](repeating: 0, count: suite.blockSize - tail.count) + tail)
    }

    /// Adds one, wrapping to zero after the largest value.
    public mutating func increment() {
        self = self.advanced(by: 1)
    }

    /// The counter `delta` steps on (or back, for a negative delta), modulo 2^(8·length).
    public func advanced(by delta: Int) -> SendSequenceCounter {
        var result = self.bytes
        var carry = delta.magnitude
        let adding = delta >= 0
        var index = result.count - 1
        while carry > 0 && index >= 0 {
            let digit = UInt(carry & 0xFF)
            carry >>= 8
            let value = Int(result[index])
            if adding {
                let sum = value + Int(digit)
                result[index] = UInt8(sum & 0xFF)
                carry += UInt(sum >> 8)
            } else {
                var difference = value - Int(digit)
                if difference < 0 {
                    difference += 256
                    carry += 1
                }
                result[index] = UInt8(difference)
            }
            index -= 1
        }
        return SendSequenceCounter(result)
    }

    public var description: String { Hex.encode(self.bytes) }
}
