import CardEmulator

/// The emulated card in this process: the default channel for tests and `mynaconf run` without a reader.
public actor EmulatedChannel: CardChannel {
    public nonisolated let readerName: String
    private var card: EmulatedCard

    public init(card: EmulatedCard, readerName: String = "mynaconf built-in emulator") {
        self.card = card
        self.readerName = readerName
    }

    public func atr() -> [UInt8] { card.atr }

    public func transmit(_ command: [UInt8]) -> [UInt8] {
        card.process(command)
    }

    public func reset() -> [UInt8] {
        card.reset()
        return card.atr
    }

    /// The card as it is now, for tests that look behind the interface (retry counters, security state).
    public var snapshot: EmulatedCard { card }
}
