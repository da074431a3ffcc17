import APDU
import CardCrypto

/// What one case asks to be computed and compared. Every case runs against CardCrypto; signature cases can also run
/// through a card's COMPUTE DIGITAL SIGNATURE (CardSigningRun).
enum VectorCheck: Sendable {
    enum Direction: Sendable { case encrypt, decrypt, both }

    /// AES or triple DES, ECB (no IV) or CBC: one direction (CAVP) or both (our files).
    case blockCipher(
        key: [UInt8], algorithm: BlockCipherKey.Algorithm, iv: [UInt8]?, plaintext: [UInt8],
        ciphertext: [UInt8], direction: Direction)
    /// The AESAVS CBC Monte Carlo test (AESAVS §6.4.2): 1000 chained encryptions or decryptions, the last compared.
    case aesMonteCarlo(key: [UInt8], iv: [UInt8], input: [UInt8], output: [UInt8], encrypting: Bool)
    /// A CMAC tag, possibly truncated (Wycheproof tagSize).
    case cmac(algorithm: BlockCipherKey.Algorithm, key: [UInt8], message: [UInt8], tag: [UInt8])
    /// ISO/IEC 9797-1 MAC algorithm 3.
    case retailMAC(key: [UInt8], message: [UInt8], padding: MACPadding, mac: [UInt8])
    /// ICAO 9303-11 BAC key seed from the MRZ information.
    case mrzKeySeed(mrzInformation: String, keySeed: [UInt8])
    /// ICAO 9303-11 §9.7.1 key derivation.
    case keyDerivation(suite: SecureMessagingSuite, keySeed: [UInt8], encryption: [UInt8], mac: [UInt8])
    case mutualAuthentication(MutualAuthenticationVector)
    case secureMessaging(SecureMessagingVector)
    /// RSASSA-PKCS1-v1_5 verification with a strict verifier.
    case signatureVerification(key: RSAPublicKey, hash: HashAlgorithm, message: [UInt8], signature: [UInt8])
    /// RSASSA-PKCS1-v1_5 generation, compared byte for byte (PKCS#1 v1.5 is deterministic); `group` says which cases
    /// share a key, so the card run can make one card per key.
    case signatureGeneration(key: RSAPrivateKey, group: Int, hash: HashAlgorithm, message: [UInt8], signature: [UInt8])
}

/// BAC-style mutual authentication with every value fixed, as a worked example gives it.
struct MutualAuthenticationVector: Sendable {
    var suite: SecureMessagingSuite
    var encryptionKey: [UInt8]
    var macKey: [UInt8]
    var cardChallenge: [UInt8]
    var hostChallenge: [UInt8]
    var hostKeyMaterial: [UInt8]
    var cardKeyMaterial: [UInt8]
    /// The whole MUTUAL AUTHENTICATE command APDU.
    var command: [UInt8]
    /// The card's response: E.IC ‖ M.IC and the status word.
    var response: [UInt8]
    var sessionEncryptionKey: [UInt8]
    var sessionMACKey: [UInt8]
    var sendSequenceCounter: [UInt8]
}

/// A session replayed step by step on both sides.
struct SecureMessagingVector: Sendable {
    struct Step: Sendable {
        var command: [UInt8]
        var protectedCommand: [UInt8]
        var protectedResponse: [UInt8]
        var response: [UInt8]
    }

    var suite: SecureMessagingSuite
    var encryptionKey: [UInt8]
    var macKey: [UInt8]
    var sendSequenceCounter: [UInt8]
    var steps: [Step]
}

/// The result of running a check: the published claim held, or it did not and why.
enum CheckVerdict: Sendable, Equatable {
    case accepted
    /// Why, and the CryptoError code when CardCrypto refused (`macMismatch`), for vectors that name the error.
    case rejected(String, code: String? = nil)
}

extension VectorCheck {
    /// Runs the check against CardCrypto.
    func run() -> CheckVerdict {
        do {
            return try self.evaluate()
        } catch let error as CryptoError {
            return .rejected(
                error.reason.isEmpty ? "\(error.code)" : "\(error.code): \(error.reason)", code: "\(error.code)")
        } catch {
            return .rejected("\(error)")
        }
    }

    private func evaluate() throws -> CheckVerdict {
        switch self {
        case .blockCipher(let key, let algorithm, let iv, let plaintext, let ciphertext, let direction):
            let cipherKey = try algorithm == .aes ? BlockCipherKey(aes: key) : BlockCipherKey(tripleDES: key)
            let mode: BlockCipherMode = iv.map { .cbc(iv: $0) } ?? .ecb
            if direction != .decrypt {
                let encrypted = try BlockCipher.encrypt(plaintext, key: cipherKey, mode: mode)
                if encrypted != ciphertext { return .rejected(differs("encrypting gave", encrypted, ciphertext)) }
            }
            if direction != .encrypt {
                let decrypted = try BlockCipher.decrypt(ciphertext, key: cipherKey, mode: mode)
                if decrypted != plaintext { return .rejected(differs("decrypting gave", decrypted, plaintext)) }
            }
            return .accepted
        case .aesMonteCarlo(let key, let iv, let input, let output, let encrypting):
            let result = try AESMonteCarlo.run(key: key, iv: iv, input: input, encrypting: encrypting)
            return result == output ? .accepted : .rejected(differs("the 1000th block is", result, output))
        case .cmac(let algorithm, let key, let message, let tag):
            let cipherKey = try algorithm == .aes ? BlockCipherKey(aes: key) : BlockCipherKey(tripleDES: key)
            let computed = try CMAC.tag(for: message, key: cipherKey)
            guard !tag.isEmpty, tag.count <= computed.count else {
                return .rejected("a \(tag.count)-byte tag cannot be a CMAC of \(computed.count) bytes or fewer")
            }
            let truncated = Array(computed.prefix(tag.count))
            return truncated == tag ? .accepted : .rejected(differs("the CMAC is", truncated, tag))
        case .retailMAC(let key, let message, let padding, let mac):
            let computed = try RetailMAC.tag(for: message, key: BlockCipherKey(tripleDES: key), padding: padding)
            return computed == mac ? .accepted : .rejected(differs("the MAC is", computed, mac))
        case .mrzKeySeed(let mrz, let keySeed):
            let computed = BasicAccessControl.keySeed(mrzInformation: mrz)
            return computed == keySeed ? .accepted : .rejected(differs("the key seed is", computed, keySeed))
        case .keyDerivation(let suite, let seed, let encryption, let mac):
            let keys = suite.deriveKeys(from: seed)
            if keys.encryption != encryption { return .rejected(differs("K_enc is", keys.encryption, encryption)) }
            if keys.mac != mac { return .rejected(differs("K_mac is", keys.mac, mac)) }
            return .accepted
        case .mutualAuthentication(let vector):
            return try vector.replay()
        case .secureMessaging(let vector):
            return try vector.replay()
        case .signatureVerification(let key, let hash, let message, let signature):
            return key.isValidPKCS1v15(signature: signature, message: message, hash: hash)
                ? .accepted : .rejected("the strict PKCS#1 v1.5 verifier refuses the signature")
        case .signatureGeneration(let key, _, let hash, let message, let signature):
            let computed = try key.signPKCS1v15(raw: DigestInfo.of(hash, message: message))
            return computed == signature ? .accepted : .rejected(differs("the signature is", computed, signature))
        }
    }
}

/// "encrypting gave 0A1B…, expected 0A1C…", with long values shortened to their first bytes.
func differs(_ what: String, _ actual: [UInt8], _ expected: [UInt8]) -> String {
    func short(_ bytes: [UInt8]) -> String {
        bytes.count <= 48 ? Hex.encode(bytes) : Hex.encode(bytes.prefix(24)) + "… (\(bytes.count) bytes)"
    }
    return "\(what) \(short(actual)), expected \(short(expected))"
}

extension MutualAuthenticationVector {
    /// Both sides from the fixed values: the host's command, the card's answer, both sessions' keys and counters.
    func replay() throws -> CheckVerdict {
        let keys = try SecureMessagingKeys(suite: self.suite, encryption: self.encryptionKey, mac: self.macKey)
        let host = try HostMutualAuthentication(
            keys: keys, cardChallenge: self.cardChallenge, hostChallenge: self.hostChallenge,
            hostKeyMaterial: self.hostKeyMaterial)
        if host.command.bytes != self.command {
            return .rejected(differs("the host's MUTUAL AUTHENTICATE is", host.command.bytes, self.command))
        }
        let card = try CardMutualAuthentication(keys: keys, challenge: self.cardChallenge)
            .respond(to: host.commandData, cardKeyMaterial: self.cardKeyMaterial)
        let cardResponse = card.responseData + [0x90, 0x00]
        if cardResponse != self.response {
            return .rejected(differs("the card answers", cardResponse, self.response))
        }
        let response = try ResponseAPDU(bytes: self.response)
        let hostSession = try host.complete(responseData: response.data)
        for (side, keys, counter) in [
            ("host", hostSession.keys, hostSession.sendSequenceCounter),
            ("card", card.session.keys, card.session.sendSequenceCounter),
        ] {
            if keys.encryption != self.sessionEncryptionKey {
                return .rejected(differs("the \(side)'s KS_enc is", keys.encryption, self.sessionEncryptionKey))
            }
            if keys.mac != self.sessionMACKey {
                return .rejected(differs("the \(side)'s KS_mac is", keys.mac, self.sessionMACKey))
            }
            if counter.bytes != self.sendSequenceCounter {
                return .rejected(differs("the \(side)'s SSC is", counter.bytes, self.sendSequenceCounter))
            }
        }
        return .accepted
    }
}

extension SecureMessagingVector {
    /// Each step on both sides. The card opens the protected command first, so that a tampered vector is refused by
    /// the card with the error it names; then the host protects the command, the card protects the response and the
    /// host opens it. Every byte must match the vector.
    func replay() throws -> CheckVerdict {
        let keys = try SecureMessagingKeys(suite: self.suite, encryption: self.encryptionKey, mac: self.macKey)
        var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: self.sendSequenceCounter)
        var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: self.sendSequenceCounter)
        for (index, step) in self.steps.enumerated() {
            let label = "step \(index + 1) (\(Hex.encode(step.command.prefix(4))))"
            let opened = try card.unprotect(step.protectedCommand).bytes
            if opened != step.command {
                return .rejected(differs("\(label): the card opens it as", opened, step.command))
            }
            let protected = try host.protect(CommandAPDU(bytes: step.command)).bytes
            if protected != step.protectedCommand {
                return .rejected(differs("\(label): the host protects it as", protected, step.protectedCommand))
            }
            let protectedResponse = try card.protect(ResponseAPDU(bytes: step.response))
            if protectedResponse != step.protectedResponse {
                return .rejected(
                    differs("\(label): the card protects its response as", protectedResponse, step.protectedResponse))
            }
            let response = try host.unprotect(step.protectedResponse).bytes
            if response != step.response {
                return .rejected(differs("\(label): the host opens the response as", response, step.response))
            }
        }
        return .accepted
    }
}

/// AESAVS §6.4.2, the CBC Monte Carlo inner loop: given one COUNT's KEY, IV and first block, 1000 chained
/// operations; the file's answer is the 1000th output block.
enum AESMonteCarlo {
    static func run(key: [UInt8], iv: [UInt8], input: [UInt8], encrypting: Bool) throws -> [UInt8] {
        let cipherKey = try BlockCipherKey(aes: key)
        guard iv.count == 16, input.count == 16 else {
            throw CryptoError(code: .invalidDataLength, reason: "a Monte Carlo IV and block are 16 bytes each")
        }
        // The chained loop is one long CBC run whose next input block is the output block before last (the IV for
        // the second): CT[j] = E(PT[j] ⊕ CT[j-1]), PT[j+1] = CT[j-1]; decryption mirrors it.
        let stream = try BlockCipherStream(key: cipherKey, mode: .cbc(iv: iv), encrypting: encrypting)
        var previous = iv
        var current = input
        var output: [UInt8] = []
        for _ in 0..<1000 {
            output = try stream.process(current)
            current = previous
            previous = output
        }
        return output
    }
}
