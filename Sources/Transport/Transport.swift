// Transport: how command APDUs reach a card — the `CardChannel` protocol, the in-process `EmulatedChannel`,
// PC/SC readers through libpcsclite (`PCSCChannel`), the emulated card served to pcscd through vsmartcard's vpcd
// (`VPCDCardServer`), and USB CCID reader descriptors (libusb). It moves bytes; it does not judge them.
import APDU

/// One card behind one reader. Raw bytes go in and out, so a test can send anything, well-formed or not.
public protocol CardChannel: Sendable {
    /// The reader's name, as a person would recognise it in a report.
    var readerName: String { get }
    /// The answer to reset the card presented when the channel was opened or last reset.
    func atr() async throws(TransportError) -> [UInt8]
    /// Sends one command APDU and returns the response (data and status word).
    func transmit(_ command: [UInt8]) async throws(TransportError) -> [UInt8]
    /// Resets the card (volatile state cleared) and returns the new ATR.
    func reset() async throws(TransportError) -> [UInt8]
}

extension CardChannel {
    public func transmit(_ command: CommandAPDU) async throws(TransportError) -> ResponseAPDU {
        let bytes = try await transmit(command.bytes)
        do {
            return try ResponseAPDU(bytes: bytes)
        } catch {
            throw TransportError.malformedResponse(bytes)
        }
    }
}

/// Why a card could not be reached. Each case says what a person can do about it.
public struct TransportError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case noService, noReaders, noCard, cardRemoved, readerUnavailable, timeout, protocolError, malformedResponse
        /// Another program reset the card; `cancelled`: a wait was cancelled; `notEmulated`: an emulator-only
        /// command reached a card that is not mynaconf's emulator.
        case cardReset, cancelled, notEmulated
        case other
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func malformedResponse(_ bytes: [UInt8]) -> TransportError {
        TransportError(.malformedResponse, "the card answered \(bytes.count) byte(s), fewer than a status word")
    }

    public var description: String { message }
}
