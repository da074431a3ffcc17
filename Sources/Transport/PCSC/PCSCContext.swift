import CPCSCLite
import Foundation

/// A reader as pcscd reports it: its name, its state and the ATR of the card in it.
public struct PCSCReader: Sendable, Hashable {
    /// pcscd's reader states (SCARD_STATE_*), as a set.
    public struct State: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let unknown = State(rawValue: UInt32(SCARD_STATE_UNKNOWN))
        public static let unavailable = State(rawValue: UInt32(SCARD_STATE_UNAVAILABLE))
        public static let empty = State(rawValue: UInt32(SCARD_STATE_EMPTY))
        public static let present = State(rawValue: UInt32(SCARD_STATE_PRESENT))
        public static let exclusive = State(rawValue: UInt32(SCARD_STATE_EXCLUSIVE))
        public static let inUse = State(rawValue: UInt32(SCARD_STATE_INUSE))
        public static let mute = State(rawValue: UInt32(SCARD_STATE_MUTE))
        public static let unpowered = State(rawValue: UInt32(SCARD_STATE_UNPOWERED))
    }

    public var name: String
    public var state: State
    /// The ATR of the card in the reader; empty without a card.
    public var atr: [UInt8]

    public init(name: String, state: State, atr: [UInt8]) {
        self.name = name
        self.state = state
        self.atr = atr
    }

    /// A card that answered reset is in the reader.
    public var hasCard: Bool { state.contains(.present) && !state.contains(.mute) }

    /// The state in words, as `mynaconf readers` prints it.
    public var stateDescription: String {
        if state.contains(.unknown) { return "reader gone" }
        if state.contains(.unavailable) { return "reader unavailable" }
        if state.contains(.mute) { return "card does not answer reset" }
        guard state.contains(.present) else { return "no card" }
        var words = ["card present"]
        if state.contains(.exclusive) {
            words.append("in exclusive use")
        } else if state.contains(.inUse) {
            words.append("in use")
        }
        if state.contains(.unpowered) { words.append("unpowered") }
        return words.joined(separator: ", ")
    }
}

/// A connection to the PC/SC daemon (pcscd): readers, their states, waiting for a card.
///
/// Every call may block (waiting is the point of some), so call it from a thread you own — `PCSCChannel` does all
/// of this on a dedicated thread — never on Swift's cooperative pool.
public final class PCSCContext: @unchecked Sendable {
    let handle: SCARDCONTEXT

    public init() throws(TransportError) {
        var context: SCARDCONTEXT = 0
        let status = SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context)
        guard status == SCARD_S_SUCCESS else { throw PCSCStatus.error(status, doing: "connecting to pcscd") }
        handle = context
    }

    deinit { SCardReleaseContext(handle) }

    /// The readers pcscd knows, by name; empty when it has none.
    public func readerNames() throws(TransportError) -> [String] {
        var length: DWORD = 0
        var status = SCardListReaders(handle, nil, nil, &length)
        if status == SCARD_E_NO_READERS_AVAILABLE { return [] }
        guard status == SCARD_S_SUCCESS else { throw PCSCStatus.error(status, doing: "listing readers") }
        var buffer = [CChar](repeating: 0, count: Int(length))
        status = SCardListReaders(handle, nil, &buffer, &length)
        if status == SCARD_E_NO_READERS_AVAILABLE { return [] }
        guard status == SCARD_S_SUCCESS else { throw PCSCStatus.error(status, doing: "listing readers") }
        // A multi-string: names separated by NUL, ended by an empty one.
        return buffer.split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }

    /// Every reader with its state and the ATR of its card, as of now.
    public func readers() throws(TransportError) -> [PCSCReader] {
        let names = try readerNames()
        guard !names.isEmpty else { return [] }
        return try states(of: names, known: names.map { _ in 0 }, timeout: .zero).map(\.reader)
    }

    /// The reader named `name`, as of now.
    public func reader(named name: String) throws(TransportError) -> PCSCReader {
        try current(name).reader
    }

    /// Waits until a card that answers reset is in `name`, for at most `timeout`.
    public func waitForCard(in name: String, timeout: Duration) throws(TransportError) -> PCSCReader {
        try waitFor(
            name, timeout: timeout, until: \.hasCard,
            timedOut: { reader in
                "no card in reader '\(name)' after \(timeout) (it reports: \(reader.stateDescription)); insert one"
            })
    }

    /// Waits until `name` is empty, for at most `timeout`.
    public func waitForRemoval(from name: String, timeout: Duration) throws(TransportError) -> PCSCReader {
        try waitFor(
            name, timeout: timeout, until: { !$0.state.contains(.present) },
            timedOut: { _ in "the card is still in reader '\(name)' after \(timeout)" })
    }

    /// Interrupts a wait in progress on another thread; it then throws `.cancelled`.
    public func cancel() { SCardCancel(handle) }

    private func waitFor(
        _ name: String, timeout: Duration, until done: (PCSCReader) -> Bool,
        timedOut message: (PCSCReader) -> String
    ) throws(TransportError) -> PCSCReader {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var (reader, known) = try current(name)
        while !done(reader) {
            let left = deadline - clock.now
            guard left > .zero else { throw TransportError(.timeout, message(reader)) }
            guard let next = try states(of: [name], known: [known], timeout: left).first else { break }
            if next.reader.state.contains(.unknown) { throw unknownReader(name) }
            (reader, known) = next
        }
        return reader
    }

    private func current(_ name: String) throws(TransportError) -> (reader: PCSCReader, raw: UInt32) {
        guard let state = try states(of: [name], known: [0], timeout: .zero).first,
            !state.reader.state.contains(.unknown)
        else { throw unknownReader(name) }
        return state
    }

    private func unknownReader(_ name: String) -> TransportError {
        TransportError(.readerUnavailable, "reader '\(name)' is gone (unplugged, or pcscd removed it)")
    }

    /// SCardGetStatusChange over `names`, returning when any differs from `known` (the raw event state, event
    /// counter included, as the last call returned it) or `timeout` passes.
    private func states(of names: [String], known: [UInt32], timeout: Duration)
        throws(TransportError) -> [(reader: PCSCReader, raw: UInt32)]
    {
        let cNames = names.map { strdup($0) }
        defer {
            for name in cNames { free(name) }
        }
        var states = zip(cNames, known).map { name, state in
            var reader = SCARD_READERSTATE()
            reader.szReader = UnsafePointer(name)
            reader.dwCurrentState = DWORD(state)
            return reader
        }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = min(Int64(seconds) * 1000 + attoseconds / 1_000_000_000_000_000, Int64(Int32.max))
        let status = SCardGetStatusChange(handle, DWORD(milliseconds), &states, DWORD(states.count))
        if status == SCARD_E_UNKNOWN_READER { throw unknownReader(names.joined(separator: ", ")) }
        guard status == SCARD_S_SUCCESS || status == SCARD_E_TIMEOUT else {
            throw PCSCStatus.error(status, doing: "reading the state of \(names.joined(separator: ", "))")
        }
        return zip(names, states).map { name, state in
            let count = min(Int(state.cbAtr), Int(MAX_ATR_SIZE))
            let atr = withUnsafeBytes(of: state.rgbAtr) { Array($0.prefix(count)) }
            // The state bits only: the high 16 bits carry an event counter.
            let raw = UInt32(truncatingIfNeeded: state.dwEventState)
            let flags = raw & 0xFFFF & ~UInt32(SCARD_STATE_CHANGED)
            return (PCSCReader(name: name, state: PCSCReader.State(rawValue: flags), atr: atr), raw)
        }
    }
}
