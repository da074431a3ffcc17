import APDU
import CardCrypto
import Testing

/// Every way a protected APDU can be wrong is detected, named, and located; the session then ends.
@Suite("Secure messaging: errors are detected and named")
struct SecureMessagingErrorTests {
    static let select = "00A4020C02011E"

    /// A card session whose next command is the one the host protects.
    static func pair(_ suite: SecureMessagingSuite) throws -> (SecureMessagingHostSession, SecureMessagingCardSession) {
        try sessionPair(suite, seed: 11)
    }

    @Test(
        "A changed checksum byte: macMismatch, 69 88, and the session is over", arguments: SecureMessagingSuite.allCases
    )
    func wrongMAC(suite: SecureMessagingSuite) throws {
        var (host, card) = try Self.pair(suite)
        var bytes = try host.protect(CommandAPDU(hex: Self.select)).bytes
        bytes[bytes.count - 2] ^= 0x01
        let error = thrown { try card.unprotect(bytes) }
        #expect(error?.code == .macMismatch)
        #expect(error?.reason.contains("DO 8E at byte") == true, "\(String(describing: error))")
        #expect(SecureMessagingCardSession.statusWord(for: error!) == StatusWord(0x69, 0x88))
        #expect(card.hasEnded)
        let after = thrown { try card.unprotect(bytes) }
        #expect(after?.code == .sessionOutOfTurn)
        #expect(after?.reason.contains("ended after an error") == true)
    }

    @Test(
        "A changed cryptogram byte is caught by the checksum before decryption",
        arguments: SecureMessagingSuite.allCases)
    func changedCryptogram(suite: SecureMessagingSuite) throws {
        var (host, card) = try Self.pair(suite)
        var bytes = try host.protect(CommandAPDU(hex: Self.select)).bytes
        bytes[8] ^= 0x80
        #expect(thrown { try card.unprotect(bytes) }?.code == .macMismatch)
    }

    @Test(
        "A command from a host one exchange behind is named a counter out of step",
        arguments: SecureMessagingSuite.allCases)
    func counterBehind(suite: SecureMessagingSuite) throws {
        let keys = suite.deriveKeys(from: [UInt8](repeating: 9, count: 16))
        let start = [UInt8](repeating: 0x10, count: suite.blockSize)
        var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: start)
        var card = try SecureMessagingCardSession(
            keys: keys, sendSequenceCounter: SendSequenceCounter(start).advanced(by: 1).bytes)
        let error = thrown { try card.unprotect(host.protect(CommandAPDU(hex: Self.select)).bytes) }
        #expect(error?.code == .counterOutOfStep)
        #expect(error?.reason.contains("1 behind") == true, "\(String(describing: error))")
    }

    @Test(
        "A replayed command is named: its checksum fits a counter two behind", arguments: SecureMessagingSuite.allCases)
    func replayedCommand(suite: SecureMessagingSuite) throws {
        var (host, card) = try Self.pair(suite)
        let protected = try host.protect(CommandAPDU(hex: Self.select)).bytes
        _ = try card.unprotect(protected)
        _ = try host.unprotect(card.protect(ResponseAPDU(statusWord: .success)))
        let error = thrown { try card.unprotect(protected) }
        #expect(error?.code == .counterOutOfStep)
        #expect(error?.reason.contains("2 behind") == true, "\(String(describing: error))")
    }

    @Test(
        "A response the card protected twice is named on the host: its counter is ahead",
        arguments: SecureMessagingSuite.allCases)
    func responseAhead(suite: SecureMessagingSuite) throws {
        let keys = suite.deriveKeys(from: [UInt8](repeating: 4, count: 16))
        let start = [UInt8](repeating: 0x20, count: suite.blockSize)
        var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: start)
        var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: start)
        _ = try card.unprotect(host.protect(CommandAPDU(hex: Self.select)).bytes)
        // A card that counted one exchange too many before answering.
        let ahead = SendSequenceCounter(start).advanced(by: 2).bytes
        var skipping = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: ahead)
        var otherHost = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: ahead)
        _ = try skipping.unprotect(otherHost.protect(CommandAPDU(hex: Self.select)).bytes)
        let error = thrown { try host.unprotect(skipping.protect(ResponseAPDU(statusWord: .success))) }
        #expect(error?.code == .counterOutOfStep)
        #expect(error?.reason.contains("ahead") == true, "\(String(describing: error))")
        _ = card
    }

    @Test(
        "Data objects out of order, repeated, unknown or missing are named before any cryptography",
        arguments: [
            // DO 97 before DO 87.
            ("970104" + "8709010102030405060708", CryptoError.Code.dataObjectsOutOfOrder, "comes after DO 97"),
            // DO 8E in the middle.
            ("8E080102030405060708" + "970104", .dataObjectsOutOfOrder, "comes after DO 8E"),
            // DO 97 twice.
            ("970104" + "970104", .dataObjectsOutOfOrder, "repeats DO 97 at byte 5"),
            // A tag that has no place in a command.
            ("990290008E080102030405060708", .unexpectedDataObject, "DO 99 at byte 5 has no place"),
            // No checksum at all.
            ("970104", .missingDataObject, "has no DO 8E"),
            // A BER-TLV length that runs past the end.
            ("8720010203", .malformedProtectedAPDU, "at byte 6"),
        ])
    func dataObjectLayout(objects: String, code: CryptoError.Code, message: String) throws {
        var (_, card) = try Self.pair(.tripleDES)
        let body = [UInt8](hex: objects)
        let bytes = [0x0C, 0xB0, 0x00, 0x00, UInt8(body.count)] + body + [0x00]
        let error = thrown { try card.unprotect(bytes) }
        #expect(error?.code == code)
        #expect(error?.reason.contains(message) == true, "\(String(describing: error))")
        let expected = code == .missingDataObject ? StatusWord(0x69, 0x87) : StatusWord(0x69, 0x88)
        #expect(SecureMessagingCardSession.statusWord(for: error!) == expected)
    }

    @Test("A plain command in a session: notProtected, 69 87")
    func plainCommand() throws {
        var (_, card) = try Self.pair(.aes128)
        let error = thrown { try card.unprotect([UInt8](hex: Self.select)) }
        #expect(error?.code == .notProtected)
        #expect(error?.reason.contains("CLA 00 has no secure-messaging bits") == true)
        #expect(SecureMessagingCardSession.statusWord(for: error!) == StatusWord(0x69, 0x87))
        #expect(thrown { try card.unprotect([0x0C, 0xA4]) }?.code == .sessionOutOfTurn)
    }

    @Test("Bytes that are no APDU at all are malformedProtectedAPDU with the APDU decoder's position")
    func notAnAPDU() throws {
        var (_, card) = try Self.pair(.aes128)
        let error = thrown { try card.unprotect([0x0C, 0xA4, 0x02]) }
        #expect(error?.code == .malformedProtectedAPDU)
        #expect(error?.reason.contains("at byte 3") == true, "\(String(describing: error))")
    }

    @Test(
        "Authenticated but wrong: bad padding inside the cryptogram is named", arguments: SecureMessagingSuite.allCases)
    func badPadding(suite: SecureMessagingSuite) throws {
        let keys = suite.deriveKeys(from: [UInt8](repeating: 5, count: 16))
        let counter = [UInt8](repeating: 0x42, count: suite.blockSize)
        var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: counter)
        // One whole block of data encrypted with no padding at all: the checksum is right, the padding is not.
        let unpadded = [UInt8](repeating: 0x31, count: suite.blockSize)
        let header: [UInt8] = [0x0C, 0xD6, 0x00, 0x00]
        let do87 = [0x87, UInt8(1 + suite.blockSize), 0x01] + (try cryptogram(unpadded, keys: keys, counter: counter))
        let body = try authenticatedObjects(do87, header: header, keys: keys, counter: counter)
        let error = thrown { try card.unprotect(header + [UInt8(body.count)] + body + [0x00]) }
        #expect(error?.code == .invalidPadding)
        #expect(error?.reason.hasPrefix("DO 87 at byte 5:") == true, "\(String(describing: error))")
    }

    @Test(
        "Authenticated but wrong: a bad padding indicator, DO 87 for an odd INS, a 3-byte Le, a short checksum",
        arguments: [
            ("0CD60000", "870902" + "0102030405060708", CryptoError.Code.malformedDataObject, "indicator 02"),
            ("0CB10000", "870901" + "0102030405060708", .unexpectedDataObject, "odd instruction"),
            ("0CB00000", "970300FF00", .malformedDataObject, "Le is 1 or 2 bytes"),
        ])
    func authenticatedButWrong(header: String, objects: String, code: CryptoError.Code, message: String) throws {
        let keys = SecureMessagingSuite.tripleDES.deriveKeys(from: [UInt8](repeating: 6, count: 16))
        let counter = [UInt8](repeating: 0, count: 8)
        var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: counter)
        let head = [UInt8](hex: header)
        let body = try authenticatedObjects([UInt8](hex: objects), header: head, keys: keys, counter: counter)
        let error = thrown { try card.unprotect(head + [UInt8(body.count)] + body + [0x00]) }
        #expect(error?.code == code)
        #expect(error?.reason.contains(message) == true, "\(String(describing: error))")
    }

    @Test("A checksum that is not 8 bytes is malformed, not merely wrong")
    func shortChecksum() throws {
        var (_, card) = try Self.pair(.tripleDES)
        let error = thrown { try card.unprotect([UInt8](hex: "0CA4020C06" + "8E0401020304" + "00")) }
        #expect(error?.code == .malformedDataObject)
        #expect(error?.reason.contains("holds 4 bytes") == true)
    }

    @Test(
        "Host: a plain 69 88 from the card says the card ended secure messaging",
        arguments: SecureMessagingSuite.allCases)
    func plainResponse(suite: SecureMessagingSuite) throws {
        var (host, _) = try Self.pair(suite)
        _ = try host.protect(CommandAPDU(hex: Self.select))
        let error = thrown { try host.unprotect([0x69, 0x88]) }
        #expect(error?.code == .notProtected)
        #expect(error?.reason.contains("6988") == true, "\(String(describing: error))")
        #expect(host.hasEnded)
        #expect(thrown { try host.protect(CommandAPDU(hex: Self.select)) }?.code == .sessionOutOfTurn)
    }

    @Test("Host: DO 99 and the plain status word must agree; DO 99 is required")
    func statusWordObject() throws {
        let keys = SecureMessagingSuite.aes128.deriveKeys(from: [UInt8](repeating: 7, count: 16))
        let counter = [UInt8](repeating: 0, count: 16)
        var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: counter)
        _ = try host.protect(CommandAPDU(hex: Self.select))
        let afterCommand = host.sendSequenceCounter.bytes
        let body = try authenticatedObjects([0x99, 0x02, 0x90, 0x00], header: nil, keys: keys, counter: afterCommand)
        let error = thrown { try host.unprotect(body + [0x6A, 0x82]) }
        #expect(error?.code == .statusWordMismatch)
        #expect(error?.reason.contains("says 9000") == true, "\(String(describing: error))")

        var second = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: counter)
        _ = try second.protect(CommandAPDU(hex: Self.select))
        let noStatus = try authenticatedObjects([], header: nil, keys: keys, counter: afterCommand)
        #expect(thrown { try second.unprotect(noStatus + [0x90, 0x00]) }?.code == .missingDataObject)
    }

    @Test("Out of turn: a response before any command, two commands in a row")
    func outOfTurn() throws {
        var (host, card) = try Self.pair(.tripleDES)
        let early = thrown { try host.unprotect([0x90, 0x00]) }
        #expect(early?.code == .sessionOutOfTurn)
        #expect(early?.reason.contains("no protected command is waiting") == true)
        _ = try host.protect(CommandAPDU(hex: Self.select))
        #expect(thrown { try host.protect(CommandAPDU(hex: Self.select)) }?.code == .sessionOutOfTurn)
        #expect(thrown { try card.protect(ResponseAPDU(statusWord: .success)) }?.code == .sessionOutOfTurn)
    }

    @Test("Sessions refuse counters and keys of the wrong length")
    func lengths() throws {
        let keys = SecureMessagingSuite.aes128.deriveKeys(from: [1])
        #expect(
            thrown { try SecureMessagingHostSession(keys: keys, sendSequenceCounter: [UInt8](repeating: 0, count: 8)) }?
                .code == .invalidDataLength)
        #expect(
            thrown { try SecureMessagingCardSession(keys: keys, sendSequenceCounter: []) }?.code == .invalidDataLength)
        #expect(
            thrown {
                try SecureMessagingKeys(suite: .tripleDES, encryption: [1], mac: [UInt8](repeating: 0, count: 16))
            }?.code == .invalidKeyLength)
    }
}

@Suite("Mutual authentication: both sides, both suites")
struct MutualAuthenticationTests {
    @Test("Host and card derive the same session keys and counter", arguments: SecureMessagingSuite.allCases)
    func agree(suite: SecureMessagingSuite) throws {
        var random = SeededRandomSource(seed: 3)
        let keys = suite.deriveKeys(from: random.bytes(16))
        let challenge = random.bytes(8)
        let host = try HostMutualAuthentication(keys: keys, cardChallenge: challenge, random: &random)
        #expect(host.command.bytes.prefix(5) == [0x00, 0x82, 0x00, 0x00, 0x28])
        #expect(host.command.le == 40)
        let card = try CardMutualAuthentication(keys: keys, challenge: challenge).respond(
            to: host.commandData, random: &random)
        let session = try host.complete(responseData: card.responseData)
        #expect(session.keys == card.session.keys)
        #expect(session.sendSequenceCounter == card.session.sendSequenceCounter)
        #expect(session.sendSequenceCounter.bytes.count == suite.blockSize)
        #expect(session.keys != keys)
    }

    @Test("A host with other access keys is refused by the card: macMismatch", arguments: SecureMessagingSuite.allCases)
    func wrongAccessKeys(suite: SecureMessagingSuite) throws {
        var random = SeededRandomSource(seed: 4)
        let challenge = random.bytes(8)
        let host = try HostMutualAuthentication(
            keys: suite.deriveKeys(from: [1]), cardChallenge: challenge, random: &random)
        let card = try CardMutualAuthentication(keys: suite.deriveKeys(from: [2]), challenge: challenge)
        let error = thrown { try card.respond(to: host.commandData, random: &random) }
        #expect(error?.code == .macMismatch)
        #expect(error?.reason.contains("the host used other access keys") == true)
    }

    @Test(
        "A host that answers another challenge is refused: authenticationFailed",
        arguments: SecureMessagingSuite.allCases)
    func otherChallenge(suite: SecureMessagingSuite) throws {
        var random = SeededRandomSource(seed: 5)
        let keys = suite.deriveKeys(from: [9])
        let host = try HostMutualAuthentication(keys: keys, cardChallenge: random.bytes(8), random: &random)
        let card = try CardMutualAuthentication(keys: keys, challenge: random.bytes(8))
        let error = thrown { try card.respond(to: host.commandData, random: &random) }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.reason.contains("answers another challenge") == true)
    }

    @Test("The host refuses a card answer that does not return its RND.IFD, or has a bad checksum or length")
    func hostChecks() throws {
        let keys = SecureMessagingSuite.tripleDES.deriveKeys(from: [7])
        var random = SeededRandomSource(seed: 6)
        let challenge = random.bytes(8)
        let host = try HostMutualAuthentication(keys: keys, cardChallenge: challenge, random: &random)
        // An answer sealed correctly but around another RND.IFD.
        let plaintext = challenge + [UInt8](repeating: 0xEE, count: 8) + random.bytes(16)
        let e = try BlockCipher.encrypt(
            plaintext, key: BlockCipherKey(tripleDES: keys.encryption), mode: .cbc(iv: [UInt8](repeating: 0, count: 8)))
        let m = try RetailMAC.tag(for: e, key: BlockCipherKey(tripleDES: keys.mac))
        let error = thrown { try host.complete(responseData: e + m) }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.reason.contains("RND.IFD EEEEEEEEEEEEEEEE") == true, "\(String(describing: error))")
        var flipped = e + m
        flipped[39] ^= 1
        #expect(thrown { try host.complete(responseData: flipped) }?.code == .macMismatch)
        let short = thrown { try host.complete(responseData: Array((e + m).prefix(39))) }
        #expect(short?.code == .invalidDataLength)
        #expect(short?.reason.contains("39 bytes") == true)
    }

    @Test("Challenges and key material of the wrong length are refused")
    func lengths() throws {
        let keys = SecureMessagingSuite.aes128.deriveKeys(from: [1])
        #expect(thrown { try CardMutualAuthentication(keys: keys, challenge: [1, 2, 3]) }?.code == .invalidDataLength)
        #expect(
            thrown {
                try HostMutualAuthentication(
                    keys: keys, cardChallenge: [UInt8](repeating: 0, count: 8), hostChallenge: [1],
                    hostKeyMaterial: [UInt8](repeating: 0, count: 16))
            }?.code == .invalidDataLength)
        let card = try CardMutualAuthentication(keys: keys, challenge: [UInt8](repeating: 0, count: 8))
        #expect(
            thrown { try card.respond(to: [UInt8](repeating: 0, count: 40), cardKeyMaterial: [1]) }?.code
                == .invalidDataLength)
    }
}
