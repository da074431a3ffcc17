import CPCSCLite

/// A connection to the PC/SC daemon (pcscd). Lists readers; issue-level features (connect, transmit, waiting
/// for cards) build on it.
public final class PCSCContext: @unchecked Sendable {
    private let handle: SCARDCONTEXT

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
}

/// PC/SC return codes and what a person should do about each.
public enum PCSCStatus {
    public static func error(_ status: LONG, doing action: String) -> TransportError {
        let code = UInt32(truncatingIfNeeded: status)
        let hex = "0x" + String(code, radix: 16, uppercase: true)
        let (kind, advice) = explanation(code)
        return TransportError(kind, "PC/SC error \(hex) while \(action): \(advice)")
    }

    static func explanation(_ code: UInt32) -> (TransportError.Kind, String) {
        switch code {
        case 0x8010_001D:
            return (
                .noService,
                "pcscd is not running; start it (e.g. `pcscd` as root, or `make pcscd` from the mynaconf tree)"
            )
        case 0x8010_002E: return (.noReaders, "no reader is connected to pcscd")
        case 0x8010_000C: return (.noCard, "no card is in the reader")
        case 0x8010_0069: return (.cardRemoved, "the card was removed")
        case 0x8010_0068: return (.cardRemoved, "the card was reset by another application")
        case 0x8010_0017: return (.readerUnavailable, "the reader is unavailable (unplugged?)")
        case 0x8010_0009: return (.readerUnavailable, "the reader name is unknown to pcscd")
        case 0x8010_000A: return (.timeout, "timed out waiting for the card")
        case 0x8010_000B: return (.readerUnavailable, "the card is in use by another application (sharing violation)")
        case 0x8010_000F: return (.protocolError, "the card does not speak the requested protocol (T=0/T=1)")
        case 0x8010_0066: return (.noCard, "the card does not respond to reset (inserted upside down?)")
        case 0x8010_0067: return (.noCard, "the card is unpowered")
        case 0x8010_0006: return (.other, "pcscd ran out of memory")
        case 0x8010_0002: return (.other, "the action was cancelled")
        default:
            return (.other, "unexpected PC/SC status; see pcsc-lite's pcsclite.h for its name")
        }
    }
}
