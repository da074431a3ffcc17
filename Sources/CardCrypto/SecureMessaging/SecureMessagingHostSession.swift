import APDU

/// The host's (terminal's) side of a secure-messaging session: it protects commands and checks and opens responses.
///
/// Written apart from ``SecureMessagingCardSession`` on purpose: the host builds what the card parses and parses what
/// the card builds, so a test that runs one against the other checks two independent readings of ICAO 9303-11 §9.8.
/// Both share only ``SecureMessagingSuite``'s cryptography, which published vectors check.
public struct SecureMessagingHostSession: Sendable {
    public let keys: SecureMessagingKeys
    /// The counter as it stands: the value used by the last command or response.
    public private(set) var sendSequenceCounter: SendSequenceCounter
    private var turn = SecureMessagingTurn.command

    public var suite: SecureMessagingSuite { self.keys.suite }

    /// - Parameters:
    ///   - keys: the session keys KS_enc and KS_mac.
    ///   - sendSequenceCounter: the counter's starting value, as long as the suite's block.
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

    /// Whether an error has ended the session; afterwards every call throws ``CryptoError/Code/sessionOutOfTurn``.
    public var hasEnded: Bool {
        if case .ended = self.turn { return true }
        return false
    }

    /// The protected form of `command`: CLA with the secure-messaging bits (`0C`), the data encrypted in DO 87 (DO 85
    /// for an odd INS), Le in DO 97, the checksum over the counter, the padded header and those objects in DO 8E, and
    /// Le `00`. The protected command is extended when the command is, when its data would not fit a short one, or
    /// when the protected response to its Le could be longer than 256 bytes.
    public mutating func protect(_ command: CommandAPDU) throws(CryptoError) -> CommandAPDU {
        switch self.turn {
        case .command: break
        case .response: throw Self.outOfTurn("protect a command", "the response to the last one has not been opened")
        case .ended(let reason): throw Self.ended(reason, doing: "protect a command")
        }
        do {
            return try self.wrap(command)
        } catch {
            self.turn = .ended(reason: error.reason)
            throw error
        }
    }

    /// The response inside a protected response: its DOs checked for order, its checksum verified, its data decrypted.
    /// - Throws: a ``CryptoError`` naming what is wrong and where; the session then ends.
    public mutating func unprotect(_ response: [UInt8]) throws(CryptoError) -> ResponseAPDU {
        let instruction: UInt8
        switch self.turn {
        case .response(let pending): instruction = pending
        case .command: throw Self.outOfTurn("open a response", "no protected command is waiting for one")
        case .ended(let reason): throw Self.ended(reason, doing: "open a response")
        }
        do {
            let opened = try self.unwrap(response, instruction: instruction)
            self.turn = .command
            return opened
        } catch {
            self.turn = .ended(reason: error.reason)
            throw error
        }
    }

    static func outOfTurn(_ action: String, _ why: String) -> CryptoError {
        CryptoError(code: .sessionOutOfTurn, reason: "cannot \(action): \(why)")
    }

    static func ended(_ reason: String, doing action: String) -> CryptoError {
        CryptoError(
            code: .sessionOutOfTurn,
            reason: "cannot \(action): the session ended after an error (\(reason)); authenticate again"
        )
    }

    private mutating func wrap(_ command: CommandAPDU) throws(CryptoError) -> CommandAPDU {
        let suite = self.suite
        self.sendSequenceCounter.increment()
        let counter = self.sendSequenceCounter
        let cla = command.cla | 0x0C
        let oddInstruction = command.ins & 0x01 == 1
        var objects: [UInt8] = []
        if !command.data.isEmpty {
            let cryptogram = try suite.encrypt(command.data, key: self.keys.encryptionKey, counter: counter)
            objects += SecureMessagingDataObjects.encryptedDataObject(cryptogram, oddInstruction: oddInstruction)
        }
        if let le = command.le {
            let value: [UInt8] =
                command.isExtended || le > 256
                ? [UInt8(truncatingIfNeeded: le >> 8), UInt8(truncatingIfNeeded: le)]
                : [UInt8(truncatingIfNeeded: le)]
            objects += BERTLV(tag: BERTag(0x97), value: value).encoded
        }
        let header = ISO7816Padding.pad([cla, command.ins, command.p1, command.p2], blockSize: suite.blockSize)
        let checksum = try suite.checksum(counter.bytes + header + objects, key: self.keys.macKey)
        objects += BERTLV(tag: BERTag(0x8E), value: checksum).encoded

        let extended =
            command.isExtended || objects.count > 255
            || Self.largestProtectedResponse(toLe: command.le, suite: suite) > 256
        self.turn = .response(instruction: command.ins)
        return CommandAPDU(
            cla: cla, ins: command.ins, p1: command.p1, p2: command.p2, data: objects, le: extended ? 65536 : 256
        )
    }

    /// The longest protected response a command with this Le can get: DO 87 with Le bytes padded, DO 99, DO 8E.
    static func largestProtectedResponse(toLe le: Int?, suite: SecureMessagingSuite) -> Int {
        let statusAndChecksum = 4 + 10
        guard let le else { return statusAndChecksum }
        let padded = (le / suite.blockSize + 1) * suite.blockSize
        let value = 1 + padded
        return 1 + BERTLV.encodeLength(value).count + value + statusAndChecksum
    }

    private mutating func unwrap(_ bytes: [UInt8], instruction _: UInt8) throws(CryptoError) -> ResponseAPDU {
        let what = "protected response"
        let response: ResponseAPDU
        do {
            response = try ResponseAPDU(bytes: bytes)
        } catch {
            throw CryptoError(code: .malformedProtectedAPDU, reason: "the \(what) is not a response APDU: \(error)")
        }
        guard !response.data.isEmpty else {
            throw CryptoError(
                code: .notProtected,
                reason: "the card answered \(response.statusWord) with no secure-messaging data objects: it has "
                    + "ended secure messaging, usually because it found the protected command wrong"
            )
        }
        let objects = try SecureMessagingDataObjects.split(response.data, base: 0, in: what)
        let slots = try SecureMessagingDataObjects.arrange(
            objects, layout: [[0x85, 0x87], [0x99], [0x8E]], required: [1, 2], in: what)
        let encrypted = slots[0]
        guard let status = slots[1], let checksumObject = slots[2] else {
            throw CryptoError(code: .missingDataObject, reason: "the \(what) lacks DO 99 or DO 8E")
        }
        let received = try SecureMessagingDataObjects.checksumValue(checksumObject)

        self.sendSequenceCounter.increment()
        let counter = self.sendSequenceCounter
        let authenticated = (encrypted?.encoded ?? []) + status.encoded
        let suite = self.suite
        let macKey = self.keys.macKey
        guard try suite.checksum(counter.bytes + authenticated, key: macKey) == received else {
            throw SecureMessagingDataObjects.mismatch(
                suite: suite, key: macKey, counter: counter, received: checksumObject,
                authenticatedData: { $0.bytes + authenticated }, in: what)
        }
        guard status.value.count == 2 else {
            throw CryptoError(
                code: .malformedDataObject,
                reason: "\(status.name) holds \(status.value.count) bytes; the processing status is SW1 SW2"
            )
        }
        let statusWord = StatusWord(status.value[0], status.value[1])
        guard statusWord == response.statusWord else {
            throw CryptoError(
                code: .statusWordMismatch,
                reason: "\(status.name) says \(statusWord) but the response ends in \(response.statusWord)"
            )
        }
        var data: [UInt8] = []
        if let encrypted {
            // DO 85 or DO 87 either way: cards differ on which an odd instruction's response uses.
            let cryptogram = try SecureMessagingDataObjects.cryptogram(of: encrypted)
            do {
                data = try suite.decrypt(cryptogram, key: self.keys.encryptionKey, counter: counter)
            } catch {
                throw CryptoError(code: error.code, reason: "\(encrypted.name): \(error.reason)")
            }
        }
        return ResponseAPDU(data: data, statusWord: statusWord)
    }
}
