import APDU
import CardCrypto
import CardEmulator

/// Commands for the emulator that no real card or reader ever receives.
///
/// PC/SC reserves class `FF` for the reader (`FF CA` GET DATA is one), so a real card never sees it; a reader
/// that does not know the command refuses it. The emulator's virtual reader answers this one.
public enum EmulatorControlCommand {
    /// `FF EE 00 00 08 "mynaconf"`: restore the card to its profile's initial state (PIN counters, PIN values,
    /// selection, security state, as when `mynaconf emulate` started), so a destructive scenario cannot poison the
    /// next one. Answers `90 00`; a real card or reader answers something else (typically `6E 00` or `6A 81`).
    public static let restoreInitialState: [UInt8] = [0xFF, 0xEE, 0x00, 0x00, 0x08] + Array("mynaconf".utf8)
}

/// One slot of the virtual reader with the emulated card in it, as vpcd sees it: what the reader itself answers
/// (the contactless ATR, `FF CA` GET DATA for the PUPI, the emulator's control command) and what it passes to
/// the card. Pure: no sockets, no threads, no clock.
public struct VirtualCardSlot: Sendable {
    public let interface: CardInterface
    public private(set) var card: EmulatedCard
    /// The PUPI of the current activation (contactless only).
    public private(set) var pupi: [UInt8]
    private let initialCard: EmulatedCard
    private var random: any RandomSource

    /// What answering one vpcd message produced.
    public struct Reply: Sendable, Equatable {
        /// The bytes to send back; nil when vpcd expects no reply (power off, power on, reset).
        public var bytes: [UInt8]?
        /// Answered by the reader rather than the card, so no card processing time applies.
        public var byReader: Bool
        /// The card was restored to its initial state.
        public var restored: Bool

        public init(bytes: [UInt8]?, byReader: Bool = false, restored: Bool = false) {
            self.bytes = bytes
            self.byReader = byReader
            self.restored = restored
        }
    }

    public init(card: EmulatedCard, interface: CardInterface, random: any RandomSource = SystemRandomSource()) {
        self.card = card
        self.initialCard = card
        self.interface = interface
        self.random = random
        self.pupi = []
        activate()
    }

    /// The ATR vpcd hands to pcscd: the card's own on the contact interface, the reader's synthesised one on the
    /// contactless interface.
    public var atr: [UInt8] {
        interface == .contact ? card.atr : card.profile.contactless.atr
    }

    public mutating func reply(to message: VPCDMessage) -> Reply {
        switch message {
        case .powerOff, .powerOn, .reset:
            // Power off, power on and reset all leave a real card with only what it stores.
            card.reset()
            if message != .powerOff { activate() }
            return Reply(bytes: nil, byReader: true)
        case .getATR:
            return Reply(bytes: atr, byReader: true)
        case .unknownControl:
            return Reply(bytes: nil, byReader: true)
        case .command(let command):
            if command == EmulatorControlCommand.restoreInitialState {
                restore()
                return Reply(bytes: [0x90, 0x00], byReader: true, restored: true)
            }
            if interface == .contactless, command.first == 0xFF {
                return Reply(bytes: readerCommand(command), byReader: true)
            }
            return Reply(bytes: card.process(command))
        }
    }

    /// Back to the profile's initial state: every counter, value and selection as when the slot was made.
    public mutating func restore() {
        card = initialCard
        activate()
    }

    /// A new activation: a random PUPI changes, a fixed one stays.
    private mutating func activate() {
        switch card.profile.contactless.pupi {
        case .fixed(let bytes): pupi = bytes
        case .random: pupi = random.bytes(4)
        }
    }

    /// PC/SC Part 3 §3.2.2.1.3 GET DATA, which a contactless reader answers itself: P1 `00` the UID (for Type B
    /// the PUPI); P1 `01` the ATS historical bytes, which only Type A cards have. Le `00` asks for all of it; a
    /// larger Le gets it with `62 82`, a smaller one `6C xx` with the right length.
    private func readerCommand(_ bytes: [UInt8]) -> [UInt8] {
        guard let command = try? CommandAPDU(bytes: bytes) else { return StatusWord.wrongLength.bytes }
        guard command.ins == 0xCA else { return StatusWord.instructionNotSupported.bytes }
        guard command.p1 == 0x00, command.p2 == 0x00, command.data.isEmpty else {
            return StatusWord.functionNotSupported.bytes
        }
        guard let le = command.le else { return StatusWord.wrongLength.bytes }
        // Le 00 (256, or 65536 extended) is the wildcard "all of it".
        if le == 256 || le == 65536 || le == pupi.count { return pupi + StatusWord.success.bytes }
        if le > pupi.count { return pupi + StatusWord.endOfFileReachedBeforeLe.bytes }
        return [0x6C, UInt8(pupi.count)]
    }
}
