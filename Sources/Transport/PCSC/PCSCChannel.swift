import CPCSCLite
import Foundation

/// A card in a PC/SC reader, through pcscd: a real reader with a real card, or the virtual reader with the
/// emulator (`mynaconf emulate`). Every PC/SC call runs on the channel's own thread (it is an actor on a dedicated
/// executor), so a slow card or a long wait never blocks Swift's cooperative thread pool.
public actor PCSCChannel: CardChannel {
    /// How the connection shares the card with other programs.
    public enum ShareMode: Sendable {
        case shared, exclusive

        var value: DWORD { DWORD(self == .shared ? SCARD_SHARE_SHARED : SCARD_SHARE_EXCLUSIVE) }
    }

    /// What happens to the card when the connection ends.
    public enum Disposition: Sendable {
        case leave, reset, unpower

        var value: DWORD {
            switch self {
            case .leave: return DWORD(SCARD_LEAVE_CARD)
            case .reset: return DWORD(SCARD_RESET_CARD)
            case .unpower: return DWORD(SCARD_UNPOWER_CARD)
            }
        }
    }

    /// The transmission protocol pcscd negotiated from the ATR.
    public enum TransmissionProtocol: String, Sendable {
        case t0 = "T=0"
        case t1 = "T=1"
        case raw = "raw"
    }

    public nonisolated let readerName: String
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let executor: DedicatedThreadExecutor
    private let share: ShareMode
    private var context: PCSCContext?
    private var card: SCARDHANDLE = 0
    private var connected = false
    private var negotiated = DWORD(SCARD_PROTOCOL_UNDEFINED)
    private var currentATR: [UInt8] = []
    /// pcsclite.h's MAX_BUFFER_SIZE_EXTENDED (a macro Swift cannot import): 64 KiB of data, header, Lc, Le, SW.
    private var receiveBuffer = [UInt8](repeating: 0, count: 4 + 3 + (1 << 16) + 3 + 2)

    private init(readerName: String, share: ShareMode) {
        self.readerName = readerName
        self.share = share
        executor = DedicatedThreadExecutor(name: "PC/SC \(readerName)")
    }

    deinit {
        if connected { SCardDisconnect(card, DWORD(SCARD_LEAVE_CARD)) }
        executor.shutDown()
    }

    /// Connects to the card in `reader`, waiting up to `waitingForCard` for one to be inserted (`.zero`: it must
    /// be there now). T=0 or T=1, whichever pcscd negotiates from the ATR.
    public static func connect(
        reader: String, share: ShareMode = .shared, waitingForCard timeout: Duration = .zero
    ) async throws(TransportError) -> PCSCChannel {
        let channel = PCSCChannel(readerName: reader, share: share)
        try await channel.open(waitingForCard: timeout)
        return channel
    }

    /// The readers pcscd knows, with their states and ATRs; the PC/SC calls run on a thread of their own.
    public static func readers() async throws(TransportError) -> [PCSCReader] {
        try await offThePool { () throws(TransportError) in try PCSCContext().readers() }
    }

    /// Waits until a card is in `reader`, for at most `timeout`, without blocking the cooperative pool.
    public static func waitForCard(in reader: String, timeout: Duration) async throws(TransportError) -> PCSCReader {
        try await offThePool { () throws(TransportError) in try PCSCContext().waitForCard(in: reader, timeout: timeout)
        }
    }

    /// Waits until `reader` is empty, for at most `timeout`, without blocking the cooperative pool.
    public static func waitForRemoval(from reader: String, timeout: Duration) async throws(TransportError)
        -> PCSCReader
    {
        try await offThePool { () throws(TransportError) in
            try PCSCContext().waitForRemoval(from: reader, timeout: timeout)
        }
    }

    private func open(waitingForCard timeout: Duration) throws(TransportError) {
        let context = try PCSCContext()
        self.context = context
        if timeout > .zero { _ = try context.waitForCard(in: readerName, timeout: timeout) }
        try connectCard()
    }

    private func connectCard() throws(TransportError) {
        guard let context else { throw TransportError(.noService, "no PC/SC context") }
        var handle: SCARDHANDLE = 0
        var active: DWORD = 0
        let status = SCardConnect(
            context.handle, readerName, share.value, DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1), &handle, &active)
        guard status == SCARD_S_SUCCESS else {
            throw PCSCStatus.error(status, doing: "connecting to the card in '\(readerName)'")
        }
        card = handle
        negotiated = active
        connected = true
        currentATR = try readATR()
    }

    /// The protocol in use.
    public var transmissionProtocol: TransmissionProtocol {
        switch Int(negotiated) {
        case Int(SCARD_PROTOCOL_T0): return .t0
        case Int(SCARD_PROTOCOL_T1): return .t1
        default: return .raw
        }
    }

    public func atr() -> [UInt8] { currentATR }

    public func transmit(_ command: [UInt8]) throws(TransportError) -> [UInt8] {
        guard connected else { throw notConnected() }
        var length = DWORD(receiveBuffer.count)
        var request = negotiated == DWORD(SCARD_PROTOCOL_T0) ? g_rgSCardT0Pci : g_rgSCardT1Pci
        let status = receiveBuffer.withUnsafeMutableBufferPointer { buffer in
            SCardTransmit(card, &request, command, DWORD(command.count), nil, buffer.baseAddress, &length)
        }
        guard status == SCARD_S_SUCCESS else {
            throw PCSCStatus.error(status, doing: "sending a command to the card in '\(readerName)'")
        }
        // Every card answer ends with SW1 SW2. A reader that reports success with less (vpcd does when the card
        // goes away mid-command) lost the card's answer.
        guard length >= 2 else {
            throw TransportError(
                .cardRemoved,
                "the reader '\(readerName)' returned \(length) byte(s) and no status word while sending a command: "
                    + "the card was pulled out or stopped answering during the command; insert it and reconnect")
        }
        return Array(receiveBuffer.prefix(Int(length)))
    }

    /// Warm-resets the card (SCardReconnect with SCARD_RESET_CARD) and returns its ATR.
    public func reset() throws(TransportError) -> [UInt8] {
        try reconnect(resetting: true)
    }

    /// Reconnects after another program reset the card, or after the card was pulled out and put back; resets it
    /// when asked. Returns the ATR.
    @discardableResult
    public func reconnect(resetting: Bool = false) throws(TransportError) -> [UInt8] {
        if connected {
            var active: DWORD = 0
            let disposition = DWORD(resetting ? SCARD_RESET_CARD : SCARD_LEAVE_CARD)
            let status = SCardReconnect(
                card, share.value, DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1), disposition, &active)
            if status == SCARD_S_SUCCESS {
                negotiated = active
                currentATR = try readATR()
                return currentATR
            }
            // A card that was pulled out and put back needs a new connection.
            let error = PCSCStatus.error(status, doing: "reconnecting to the card in '\(readerName)'")
            guard [.cardRemoved, .noCard, .readerUnavailable].contains(error.kind) else { throw error }
            disconnect(.leave)
        }
        try connectCard()
        if resetting { return try reconnect(resetting: true) }
        return currentATR
    }

    /// Ends the connection; the channel can connect again with `reconnect()`.
    public func disconnect(_ disposition: Disposition = .leave) {
        guard connected else { return }
        SCardDisconnect(card, disposition.value)
        connected = false
    }

    /// Restores mynaconf's emulated card to its profile's initial state (counters, PINs, selection), then resets
    /// it. The runner calls this between scenarios, so a destructive one cannot poison the next. Throws
    /// `.notEmulated` on any other card: a real card cannot be restored, and is not asked to be.
    @discardableResult
    public func restoreEmulatedCard() throws(TransportError) -> [UInt8] {
        let answer = try transmit(EmulatorControlCommand.restoreInitialState)
        guard answer == [0x90, 0x00] else {
            let sw = answer.suffix(2).map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            throw TransportError(
                .notEmulated,
                "the card in '\(readerName)' is not mynaconf's emulator (the restore command answered \(sw)); "
                    + "a real card cannot be restored to a profile")
        }
        return try reset()
    }

    private func readATR() throws(TransportError) -> [UInt8] {
        var nameLength: DWORD = 0
        var state: DWORD = 0
        var active: DWORD = 0
        var atr = [UInt8](repeating: 0, count: Int(MAX_ATR_SIZE))
        var atrLength = DWORD(atr.count)
        let status = SCardStatus(card, nil, &nameLength, &state, &active, &atr, &atrLength)
        guard status == SCARD_S_SUCCESS else {
            throw PCSCStatus.error(status, doing: "reading the ATR of the card in '\(readerName)'")
        }
        return Array(atr.prefix(Int(atrLength)))
    }

    private func notConnected() -> TransportError {
        TransportError(.noCard, "not connected to a card in '\(readerName)'; connect (or reconnect) first")
    }
}

/// Runs blocking work on a thread of its own and awaits its result.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws(TransportError) -> T) async throws(TransportError)
    -> T
{
    let result = await withCheckedContinuation {
        (continuation: CheckedContinuation<Result<T, TransportError>, Never>) in
        let thread = Thread {
            continuation.resume(returning: Result { () throws(TransportError) in try work() })
        }
        thread.name = "PC/SC"
        thread.start()
    }
    return try result.get()
}
