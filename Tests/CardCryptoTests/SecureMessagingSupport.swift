import APDU
import CardCrypto

/// The `CryptoError` that `body` throws, or nil; for closures whose thrown type Swift infers as `any Error`.
func thrown<T>(_ body: () throws -> T) -> CryptoError? {
    do {
        _ = try body()
        return nil
    } catch let error as CryptoError {
        return error
    } catch {
        return CryptoError(code: .openSSLFailure, reason: "not a CryptoError: \(error)")
    }
}

/// A host and a card session that agree: both opened by mutual authentication on seeded randomness.
func sessionPair(_ suite: SecureMessagingSuite, seed: UInt64 = 1) throws -> (
    host: SecureMessagingHostSession, card: SecureMessagingCardSession
) {
    var random = SeededRandomSource(seed: seed)
    let accessKeys = suite.deriveKeys(from: random.bytes(16))
    let challenge = random.bytes(8)
    let host = try HostMutualAuthentication(keys: accessKeys, cardChallenge: challenge, random: &random)
    let card = try CardMutualAuthentication(keys: accessKeys, challenge: challenge)
        .respond(to: host.commandData, random: &random)
    return (try host.complete(responseData: card.responseData), card.session)
}

/// Builds a protected APDU body the way an independent implementation would: the given data objects, then a DO 8E
/// that is right for them under `keys` and the counter after `counter`. Lets tests put wrong-but-authenticated
/// content in front of the card or the host.
func authenticatedObjects(
    _ objects: [UInt8],
    header: [UInt8]?,
    keys: SecureMessagingKeys,
    counter: [UInt8]
) throws -> [UInt8] {
    let next = SendSequenceCounter(counter).advanced(by: 1).bytes
    let blockSize = keys.suite.blockSize
    var authenticated = next
    if let header { authenticated += ISO7816Padding.pad(header, blockSize: blockSize) }
    authenticated += objects
    let padded = ISO7816Padding.pad(authenticated, blockSize: blockSize)
    let checksum: [UInt8]
    switch keys.suite {
    case .tripleDES:
        checksum = try RetailMAC.tag(for: padded, key: BlockCipherKey(tripleDES: keys.mac), padding: .none)
    case .aes128:
        checksum = Array(try CMAC.tag(for: padded, key: BlockCipherKey(aes: keys.mac)).prefix(8))
    }
    return objects + [0x8E, 0x08] + checksum
}

/// The cryptogram an independent implementation makes of already padded (or deliberately unpadded) `plaintext` under
/// the counter after `counter`.
func cryptogram(_ plaintext: [UInt8], keys: SecureMessagingKeys, counter: [UInt8]) throws -> [UInt8] {
    let next = SendSequenceCounter(counter).advanced(by: 1).bytes
    switch keys.suite {
    case .tripleDES:
        return try BlockCipher.encrypt(
            plaintext, key: BlockCipherKey(tripleDES: keys.encryption), mode: .cbc(iv: [UInt8](repeating: 0, count: 8)))
    case .aes128:
        let key = try BlockCipherKey(aes: keys.encryption)
        let iv = try BlockCipher.encrypt(next, key: key, mode: .ecb)
        return try BlockCipher.encrypt(plaintext, key: key, mode: .cbc(iv: iv))
    }
}
