import APDU

/// The card's side of a secure-messaging session: it checks and opens protected commands and protects responses.
///
/// Written apart from ``SecureMessagingHostSession`` (see there why). After any error the session is over, as ICAO
/// 9303-11 §9.8 requires of the chip; ``statusWord(for:)`` says what the card answers, unprotected, at that moment.
public struct SecureMessagingCardSession: Sendable {
    public let keys: SecureMessagingKeys
    /// The counter as it stands: the value used by the last command or response.
    public private(set) var sendSequenceCounter: SendSequenceCounter
    private var turn = SecureMessagingTurn.command

    public var suite: SecureMessagingSuite { self.keys.suite }

    /// - Throws: ``CryptoError/Code/invalidDataLength`` for a counter of the wrong length.
    public init(keys: SecureMessagingKeys, sendSequenceCounter: [UInt8]) throws(CryptoError) {
        guard sendSequenceCounter.count == keys.suite.blockSize else {
            throw CryptoError(
                code: .invalidDataLength,
                reason: "the \(keys.suite) send-sequence counter is \(keys.suite.blockSize) bytes, "
                    + "not \(sendSequenceCounter.count)"
            )
        }
        self.keys = keys
        self.sendSequenceCounter = SendSequenceCounter(sendSequenceCounter)
    }

    /// Whether an error has ended the session.
    public var hasEnded: Bool {
        if case .ended = self.turn { return true }
        return false
    }

    /// The command inside a protected command: CLA without the secure-messaging bits, the data decrypted, Le from
    /// DO 97. The checksum is verified before anything is decrypted.
    /// - Throws: a ``CryptoError`` naming what is wrong and at which byte; the session then ends.
    public mutating func unprotect(_ command: [UInt8]) throws(CryptoError) -> CommandAPDU {
        switch self.turn {
        case .command: break
        case .response:
            throw SecureMessagingHostSession.outOfTurn(
                "open a command", "the response to the last protected command has not been protected")
        case .ended(let reason): throw SecureMessagingHostSession.ended(reason, doing: "open a command")
        }
        do {
            let opened = try self.unwrap(command)
            self.turn = .response(instruction: opened.ins)
            return opened
        } catch {
            self.turn = .ended(reason: error.reason)
            throw error
        }
    }

    /// The protected form of the response to the last command: data encrypted in DO 87 (DO 85 after an odd INS), the
    /// status word in DO 99, the checksum in DO 8E, then the status word again.
    public mutating func protect(_ response: ResponseAPDU) throws(CryptoError) -> [UInt8] {
        let instruction: UInt8
        switch self.turn {
        case .response(let pending): instruction = pending
        case .command:
            throw SecureMessagingHostSession.outOfTurn("protect a response", "no protected command is waiting for one")
        case .ended(let reason): throw SecureMessagingHostSession.ended(reason, doing: "protect a response")
        }
        do {
            let wrapped = try self.wrap(response, instruction: instruction)
            self.turn = .command
            return wrapped
        } catch {
            self.turn = .ended(reason: error.reason)
            throw error
        }
    }

    /// What the card answers, without secure messaging, when opening a command failed: `69 87` when secure-messaging
    /// data objects are missing (or the command is plain), `69 88` when they are incorrect (ISO/IEC 7816-4 §5.6,
    /// ICAO 9303-11 §9.8).
    public static func statusWord(for error: CryptoError) -> StatusWord {
        switch error.code {
        case .notProtected, .missingDataObject: .securityMessagingDataObjectsMissing
        default: .securityMessagingDataObjectsIncorrect
        }
    }

    private mutating func unwrap(_ bytes: [UInt8]) throws(CryptoError) -> CommandAPDU {
        let what = "protected command"
        let command: CommandAPDU
        do {
            command = try CommandAPDU(bytes: bytes)
        } catch {
            throw CryptoError(code: .malformedProtectedAPDU, reason: "the \(what) is not a command APDU: \(error)")
        }
        guard command.cla & 0x0C == 0x0C else {
            throw CryptoError(
                code: .notProtected,
                reason: "CLA \(Hex.encode([command.cla])) has no secure-messaging bits (b4 b3 = 11, as in 0C) in a "
                    + "secure-messaging session"
            )
        }
        let base = command.isExtended ? 7 : 5
        let objects = try SecureMessagingDataObjects.split(command.data, base: base, in: what)
        let slots = try SecureMessagingDataObjects.arrange(
            objects, layout: [[0x85, 0x87], [0x97], [0x8E]], required: [2], in: what)
        let encrypted = slots[0]
        let expectedLength = slots[1]
        guard let checksumObject = slots[2] else {
            throw CryptoError(code: .missingDataObject, reason: "the \(what) lacks DO 8E")
        }
        let received = try SecureMessagingDataObjects.checksumValue(checksumObject)
        let oddInstruction = command.ins & 0x01 == 1
        if let encrypted, encrypted.shortTag != (oddInstruction ? 0x85 : 0x87) {
            let (parity, wanted) = oddInstruction ? ("odd", "85") : ("even", "87")
            throw CryptoError(
                code: .unexpectedDataObject,
                reason: "\(encrypted.name) carries the data of INS \(Hex.encode([command.ins])); an \(parity) "
                    + "instruction's data is protected in DO \(wanted) (ISO/IEC 7816-4 §10.2)"
            )
        }

        self.sendSequenceCounter.increment()
        let counter = self.sendSequenceCounter
        let suite = self.suite
        let macKey = self.keys.macKey
        let header = ISO7816Padding.pad([command.cla, command.ins, command.p1, command.p2], blockSize: suite.blockSize)
        let authenticated = header + (encrypted?.encoded ?? []) + (expectedLength?.encoded ?? [])
        guard try suite.checksum(counter.bytes + authenticated, key: macKey) == received else {
            throw SecureMessagingDataObjects.mismatch(
                suite: suite, key: macKey, counter: counter, received: checksumObject,
                authenticatedData: { $0.bytes + authenticated }, in: what)
        }

        var data: [UInt8] = []
        if let encrypted {
            let cryptogram = try SecureMessagingDataObjects.cryptogram(of: encrypted)
            do {
                data = try suite.decrypt(cryptogram, key: self.keys.encryptionKey, counter: counter)
            } catch {
                throw CryptoError(code: error.code, reason: "\(encrypted.name): \(error.reason)")
            }
        }
        var le: Int? = nil
        if let expectedLength {
            switch expectedLength.value.count {
            case 1: le = expectedLength.value[0] == 0 ? 256 : Int(expectedLength.value[0])
            case 2:
                let value = Int(expectedLength.value[0]) << 8 | Int(expectedLength.value[1])
                le = value == 0 ? 65536 : value
            default:
                throw CryptoError(
                    code: .malformedDataObject,
                    reason: "\(expectedLength.name) holds \(expectedLength.value.count) bytes; Le is 1 or 2 bytes"
                )
            }
        }
        var opened = CommandAPDU(
            cla: command.cla & ~0x0C, ins: command.ins, p1: command.p1, p2: command.p2, data: data, le: le)
        if expectedLength?.value.count == 2 {
            opened.encoding = .extended
        }
        return opened
    }

    private mutating func wrap(_ response: ResponseAPDU, instruction: UInt8) throws(CryptoError) -> [UInt8] {
        self.sendSequenceCounter.increment()
        let counter = self.sendSequenceCounter
        var objects: [UInt8] = []
        if !response.data.isEmpty {
            let cryptogram = try self.suite.encrypt(response.data, key: self.keys.encryptionKey, counter: counter)
            objects += SecureMessagingDataObjects.encryptedDataObject(
                cryptogram, oddInstruction: instruction & 0x01 == 1)
        }
        objects += BERTLV(tag: BERTag(0x99), value: response.statusWord.bytes).encoded
        let checksum = try self.suite.checksum(counter.bytes + objects, key: self.keys.macKey)
        objects += BERTLV(tag: BERTag(0x8E), value: checksum).encoded
        return objects + response.statusWord.bytes
    }
}
