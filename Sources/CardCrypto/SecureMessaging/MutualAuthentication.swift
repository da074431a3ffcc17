import APDU

/// Sizes of the BAC-style mutual authentication (ICAO 9303-11 §4.3, Appendix D), used by both suites.
public enum MutualAuthentication {
    /// RND.IC and RND.IFD: 8 bytes each.
    public static let challengeLength = 8
    /// K.IC and K.IFD, the key material each side contributes to the session key seed: 16 bytes each.
    public static let keyMaterialLength = 16
    /// E.IFD / E.IC: RND ‖ RND ‖ K encrypted, 32 bytes in both suites (4 DES blocks, 2 AES blocks).
    public static let cryptogramLength = 32
    /// The MUTUAL AUTHENTICATE data in each direction: the cryptogram then its 8-byte checksum.
    public static let messageLength = cryptogramLength + SecureMessagingSuite.checksumLength

    /// E = encryption with the access key and a zero IV (ICAO 9303-11 BAC for triple DES; the same for AES in the card
    /// profile), then the suite's checksum over E.
    static func seal(_ plaintext: [UInt8], keys: SecureMessagingKeys) throws(CryptoError) -> [UInt8] {
        let zeroIV = [UInt8](repeating: 0, count: keys.suite.blockSize)
        let cryptogram = try BlockCipher.encrypt(plaintext, key: keys.encryptionKey, mode: .cbc(iv: zeroIV))
        return cryptogram + (try keys.suite.checksum(cryptogram, key: keys.macKey))
    }

    /// Checks the checksum, then decrypts; `sender` names the other side in messages.
    static func open(_ message: [UInt8], keys: SecureMessagingKeys, sender: String) throws(CryptoError) -> [UInt8] {
        guard message.count == messageLength else {
            throw CryptoError(
                code: .invalidDataLength,
                reason: "the \(sender)'s MUTUAL AUTHENTICATE data is \(message.count) bytes; it is \(messageLength) "
                    + "(a \(cryptogramLength)-byte cryptogram and an 8-byte checksum)"
            )
        }
        let cryptogram = Array(message.prefix(cryptogramLength))
        let checksum = Array(message.suffix(SecureMessagingSuite.checksumLength))
        let expected = try keys.suite.checksum(cryptogram, key: keys.macKey)
        guard expected == checksum else {
            throw CryptoError(
                code: .macMismatch,
                reason: "the \(sender)'s cryptogram has checksum \(Hex.encode(checksum)), but K_mac gives "
                    + "\(Hex.encode(expected)): the \(sender) used other access keys"
            )
        }
        let zeroIV = [UInt8](repeating: 0, count: keys.suite.blockSize)
        return try BlockCipher.decrypt(cryptogram, key: keys.encryptionKey, mode: .cbc(iv: zeroIV))
    }

    static func check(_ value: [UInt8], length: Int, name: String) throws(CryptoError) {
        guard value.count == length else {
            throw CryptoError(code: .invalidDataLength, reason: "\(name) is \(length) bytes, not \(value.count)")
        }
    }

    static func sessionKeys(
        suite: SecureMessagingSuite,
        hostKeyMaterial: [UInt8],
        cardKeyMaterial: [UInt8]
    ) -> SecureMessagingKeys {
        suite.deriveKeys(from: zip(hostKeyMaterial, cardKeyMaterial).map { $0 ^ $1 })
    }
}

/// The host's half of mutual authentication: after GET CHALLENGE gave RND.IC, it sends E.IFD ‖ M.IFD with MUTUAL
/// AUTHENTICATE and, from the card's answer, derives the session keys and counter.
public struct HostMutualAuthentication: Sendable {
    public let keys: SecureMessagingKeys
    /// RND.IC, from GET CHALLENGE.
    public let cardChallenge: [UInt8]
    /// RND.IFD.
    public let hostChallenge: [UInt8]
    /// K.IFD.
    let hostKeyMaterial: [UInt8]
    /// E.IFD ‖ M.IFD: the data of MUTUAL AUTHENTICATE.
    public let commandData: [UInt8]

    /// With the host's nonce and key material given, as a worked example fixes them.
    /// - Throws: ``CryptoError/Code/invalidDataLength`` for a challenge other than 8 bytes or key material other
    ///   than 16.
    public init(
        keys: SecureMessagingKeys,
        cardChallenge: [UInt8],
        hostChallenge: [UInt8],
        hostKeyMaterial: [UInt8]
    ) throws(CryptoError) {
        try MutualAuthentication.check(cardChallenge, length: MutualAuthentication.challengeLength, name: "RND.IC")
        try MutualAuthentication.check(hostChallenge, length: MutualAuthentication.challengeLength, name: "RND.IFD")
        try MutualAuthentication.check(
            hostKeyMaterial, length: MutualAuthentication.keyMaterialLength, name: "K.IFD")
        self.keys = keys
        self.cardChallenge = cardChallenge
        self.hostChallenge = hostChallenge
        self.hostKeyMaterial = hostKeyMaterial
        self.commandData = try MutualAuthentication.seal(hostChallenge + cardChallenge + hostKeyMaterial, keys: keys)
    }

    /// With RND.IFD and K.IFD drawn from `random`.
    public init(keys: SecureMessagingKeys, cardChallenge: [UInt8], random: inout some RandomSource) throws(CryptoError)
    {
        let hostChallenge = random.bytes(MutualAuthentication.challengeLength)
        let keyMaterial = random.bytes(MutualAuthentication.keyMaterialLength)
        try self.init(
            keys: keys, cardChallenge: cardChallenge, hostChallenge: hostChallenge, hostKeyMaterial: keyMaterial)
    }

    /// `00 82 00 00 28 <E.IFD ‖ M.IFD> 28`, as in ICAO 9303-11 Appendix D.3.
    public var command: CommandAPDU {
        CommandAPDU(cla: 0x00, ins: 0x82, p1: 0x00, p2: 0x00, data: self.commandData, le: self.commandData.count)
    }

    /// Checks the card's E.IC ‖ M.IC and opens the session: KS_enc and KS_mac from K.IFD ⊕ K.IC, and the counter.
    /// - Throws: ``CryptoError/Code/macMismatch`` when the card used other access keys,
    ///   ``CryptoError/Code/authenticationFailed`` when the challenges inside do not come back as sent.
    public func complete(responseData: [UInt8]) throws(CryptoError) -> SecureMessagingHostSession {
        let plaintext = try MutualAuthentication.open(responseData, keys: self.keys, sender: "card")
        let cardChallenge = Array(plaintext[0..<8])
        let hostChallenge = Array(plaintext[8..<16])
        let cardKeyMaterial = Array(plaintext[16..<32])
        guard hostChallenge == self.hostChallenge else {
            throw CryptoError(
                code: .authenticationFailed,
                reason: "the card's cryptogram returns RND.IFD \(Hex.encode(hostChallenge)), not the "
                    + "\(Hex.encode(self.hostChallenge)) the host sent"
            )
        }
        guard cardChallenge == self.cardChallenge else {
            throw CryptoError(
                code: .authenticationFailed,
                reason: "the card's cryptogram holds RND.IC \(Hex.encode(cardChallenge)), not the "
                    + "\(Hex.encode(self.cardChallenge)) GET CHALLENGE gave"
            )
        }
        let sessionKeys = MutualAuthentication.sessionKeys(
            suite: self.keys.suite, hostKeyMaterial: self.hostKeyMaterial, cardKeyMaterial: cardKeyMaterial)
        let counter = SendSequenceCounter.initial(
            suite: self.keys.suite, cardChallenge: self.cardChallenge, hostChallenge: self.hostChallenge)
        return try SecureMessagingHostSession(keys: sessionKeys, sendSequenceCounter: counter.bytes)
    }
}

/// The card's half of mutual authentication: it issued RND.IC with GET CHALLENGE, checks the host's E.IFD ‖ M.IFD,
/// and answers E.IC ‖ M.IC.
public struct CardMutualAuthentication: Sendable {
    public let keys: SecureMessagingKeys
    /// RND.IC, as the card gave it in answer to GET CHALLENGE.
    public let challenge: [UInt8]

    /// The card's answer and the session it opens.
    public struct Result: Sendable {
        /// E.IC ‖ M.IC, the response data of MUTUAL AUTHENTICATE.
        public let responseData: [UInt8]
        public let session: SecureMessagingCardSession
    }

    /// - Throws: ``CryptoError/Code/invalidDataLength`` for a challenge other than 8 bytes.
    public init(keys: SecureMessagingKeys, challenge: [UInt8]) throws(CryptoError) {
        try MutualAuthentication.check(challenge, length: MutualAuthentication.challengeLength, name: "RND.IC")
        self.keys = keys
        self.challenge = challenge
    }

    /// Checks the MUTUAL AUTHENTICATE data with K.IC given, as a worked example fixes it.
    /// - Throws: ``CryptoError/Code/macMismatch`` when the host used other access keys,
    ///   ``CryptoError/Code/authenticationFailed`` when the cryptogram does not hold this card's RND.IC.
    public func respond(to commandData: [UInt8], cardKeyMaterial: [UInt8]) throws(CryptoError) -> Result {
        try MutualAuthentication.check(
            cardKeyMaterial, length: MutualAuthentication.keyMaterialLength, name: "K.IC")
        let plaintext = try MutualAuthentication.open(commandData, keys: self.keys, sender: "host")
        let hostChallenge = Array(plaintext[0..<8])
        let returnedChallenge = Array(plaintext[8..<16])
        let hostKeyMaterial = Array(plaintext[16..<32])
        guard returnedChallenge == self.challenge else {
            throw CryptoError(
                code: .authenticationFailed,
                reason: "the host's cryptogram holds RND.IC \(Hex.encode(returnedChallenge)), not the "
                    + "\(Hex.encode(self.challenge)) this card issued: it answers another challenge"
            )
        }
        let responseData = try MutualAuthentication.seal(
            self.challenge + hostChallenge + cardKeyMaterial, keys: self.keys)
        let sessionKeys = MutualAuthentication.sessionKeys(
            suite: self.keys.suite, hostKeyMaterial: hostKeyMaterial, cardKeyMaterial: cardKeyMaterial)
        let counter = SendSequenceCounter.initial(
            suite: self.keys.suite, cardChallenge: self.challenge, hostChallenge: hostChallenge)
        return Result(
            responseData: responseData,
            session: try SecureMessagingCardSession(keys: sessionKeys, sendSequenceCounter: counter.bytes)
        )
    }

    /// With K.IC drawn from `random`.
    public func respond(to commandData: [UInt8], random: inout some RandomSource) throws(CryptoError) -> Result {
        try self.respond(to: commandData, cardKeyMaterial: random.bytes(MutualAuthentication.keyMaterialLength))
    }
}

/// ICAO 9303-11 BAC (§9.7, Appendix D.2): the key seed from the MRZ information — document number, date of birth and date of
/// expiry, each with its check digit — as the first 16 bytes of its SHA-1.
public enum BasicAccessControl {
    public static func keySeed(mrzInformation: String) -> [UInt8] {
        Array(HashAlgorithm.sha1.hash(Array(mrzInformation.utf8)).prefix(16))
    }
}
