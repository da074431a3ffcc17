import Foundation

/// PC/SC return codes (pcsc-lite's pcsclite.h, every `SCARD_E_*`, `SCARD_F_*`, `SCARD_P_*` and `SCARD_W_*`), each
/// with its name and what a person should do about it.
public enum PCSCStatus {
    public struct Entry: Sendable {
        public let name: String
        public let kind: TransportError.Kind
        public let advice: String
    }

    public static func error(_ status: Int32, doing action: String) -> TransportError {
        error(UInt32(bitPattern: status), doing: action)
    }

    public static func error(_ status: Int, doing action: String) -> TransportError {
        error(UInt32(truncatingIfNeeded: status), doing: action)
    }

    public static func error(_ code: UInt32, doing action: String) -> TransportError {
        let hex = "0x" + String(code, radix: 16, uppercase: true)
        guard let entry = table[code] else {
            return TransportError(.other, "PC/SC error \(hex) while \(action): a status pcsc-lite does not define")
        }
        return TransportError(entry.kind, "PC/SC error \(hex) (\(entry.name)) while \(action): \(entry.advice)")
    }

    static func explanation(_ code: UInt32) -> (TransportError.Kind, String) {
        guard let entry = table[code] else { return (.other, "unexpected PC/SC status") }
        return (entry.kind, entry.advice)
    }

    /// The socket this process's PC/SC calls go to, for messages about pcscd not answering.
    static var socketInUse: String {
        let configured = ProcessInfo.processInfo.environment["PCSCLITE_CSOCK_NAME"] ?? ""
        return configured.isEmpty ? "/run/pcscd/pcscd.comm" : "\(configured) (PCSCLITE_CSOCK_NAME)"
    }

    private static let restart = "start it again, then reconnect"
    private static let bug = "mynaconf passed PC/SC something it refused; this is a mynaconf bug, please report it"

    /// Every code, keyed by its unsigned value.
    public static let table: [UInt32: Entry] = {
        let entries: [(UInt32, String, TransportError.Kind, String)] = [
            (
                0x8010_0001, "SCARD_F_INTERNAL_ERROR", .other,
                "pcscd failed an internal consistency check; look at its log and restart it"
            ),
            (0x8010_0002, "SCARD_E_CANCELLED", .cancelled, "the wait was cancelled (SCardCancel)"),
            (
                0x8010_0003, "SCARD_E_INVALID_HANDLE", .readerUnavailable,
                "the connection is no longer valid (pcscd restarted, or the connection was closed); connect again"
            ),
            (0x8010_0004, "SCARD_E_INVALID_PARAMETER", .other, bug),
            (
                0x8010_0005, "SCARD_E_INVALID_TARGET", .other,
                "pcscd's start-up information is missing or invalid; reinstall pcscd"
            ),
            (0x8010_0006, "SCARD_E_NO_MEMORY", .other, "pcscd ran out of memory; restart it"),
            (
                0x8010_0007, "SCARD_F_WAITED_TOO_LONG", .timeout,
                "an internal pcscd timer expired; retry, and restart pcscd if it happens again"
            ),
            (
                0x8010_0008, "SCARD_E_INSUFFICIENT_BUFFER", .protocolError,
                "the card answered more than 65 538 bytes, more than any APDU can carry"
            ),
            (
                0x8010_0009, "SCARD_E_UNKNOWN_READER", .readerUnavailable,
                "pcscd has no reader by that name; list the readers with `mynaconf readers`"
            ),
            (0x8010_000A, "SCARD_E_TIMEOUT", .timeout, "nothing happened within the time allowed"),
            (
                0x8010_000B, "SCARD_E_SHARING_VIOLATION", .readerUnavailable,
                "another program holds the card exclusively; close it (or let it finish) and retry"
            ),
            (
                0x8010_000C, "SCARD_E_NO_SMARTCARD", .noCard,
                "no card is in the reader; insert one (for `mynaconf emulate`: the `insert` line, or SIGUSR2)"
            ),
            (0x8010_000D, "SCARD_E_UNKNOWN_CARD", .other, "pcscd does not know that card name"),
            (
                0x8010_000E, "SCARD_E_CANT_DISPOSE", .readerUnavailable,
                "the reader could not reset, unpower or eject the card as asked"
            ),
            (
                0x8010_000F, "SCARD_E_PROTO_MISMATCH", .protocolError,
                "the card does not speak the requested protocol; connect allowing both T=0 and T=1"
            ),
            (0x8010_0010, "SCARD_E_NOT_READY", .readerUnavailable, "the reader or the card is not ready; retry"),
            (0x8010_0011, "SCARD_E_INVALID_VALUE", .other, bug),
            (0x8010_0012, "SCARD_E_SYSTEM_CANCELLED", .cancelled, "the system cancelled the action (shutting down?)"),
            (
                0x8010_0013, "SCARD_F_COMM_ERROR", .noService,
                "lost contact with pcscd (it stopped or restarted during the call); check it runs, then reconnect"
            ),
            (0x8010_0014, "SCARD_F_UNKNOWN_ERROR", .other, "pcscd reported an unknown internal error; see its log"),
            (
                0x8010_0015, "SCARD_E_INVALID_ATR", .protocolError,
                "the card's ATR is not valid (for the emulator, check the profile's `atr:`)"
            ),
            (
                0x8010_0016, "SCARD_E_NOT_TRANSACTED", .cardRemoved,
                "the reader could not complete the exchange: the card was pulled out mid-command or stopped "
                    + "answering; insert it and reconnect"
            ),
            (
                0x8010_0017, "SCARD_E_READER_UNAVAILABLE", .readerUnavailable,
                "the reader is gone (unplugged, or its driver failed); plug it back in or look at pcscd's log"
            ),
            (0x8010_0018, "SCARD_P_SHUTDOWN", .noService, "pcscd is shutting down; \(restart)"),
            (0x8010_0019, "SCARD_E_PCI_TOO_SMALL", .other, bug),
            (
                0x8010_001A, "SCARD_E_READER_UNSUPPORTED", .readerUnavailable,
                "the reader's driver does not meet PC/SC's minimum; update the driver (e.g. libccid)"
            ),
            (
                0x8010_001B, "SCARD_E_DUPLICATE_READER", .readerUnavailable,
                "the reader driver gave two readers the same name; reconfigure or update the driver"
            ),
            (
                0x8010_001C, "SCARD_E_CARD_UNSUPPORTED", .protocolError,
                "the card does not meet PC/SC's minimum requirements (check it is inserted the right way)"
            ),
            (
                0x8010_001D, "SCARD_E_NO_SERVICE", .noService,
                "pcscd is not running, or not on the socket this process uses (\(socketInUse)); start it "
                    + "(`scripts/virtual-reader start` for the virtual reader, or `pcscd` / `systemctl start pcscd`)"
            ),
            (0x8010_001E, "SCARD_E_SERVICE_STOPPED", .noService, "pcscd has shut down; \(restart)"),
            (
                0x8010_001F, "SCARD_E_UNSUPPORTED_FEATURE", .protocolError,
                "the reader or card does not support the requested feature"
            ),
            (0x8010_0020, "SCARD_E_ICC_INSTALLATION", .other, "no primary provider can be found for the card"),
            (0x8010_0021, "SCARD_E_ICC_CREATEORDER", .other, "the requested order of object creation is unsupported"),
            (0x8010_0023, "SCARD_E_DIR_NOT_FOUND", .other, "the directory does not exist on the card"),
            (0x8010_0024, "SCARD_E_FILE_NOT_FOUND", .other, "the file does not exist on the card"),
            (0x8010_0025, "SCARD_E_NO_DIR", .other, "the path is not a directory on the card"),
            (0x8010_0026, "SCARD_E_NO_FILE", .other, "the path is not a file on the card"),
            (0x8010_0027, "SCARD_E_NO_ACCESS", .other, "access to the file is denied"),
            (0x8010_0028, "SCARD_E_WRITE_TOO_MANY", .other, "the card has no room left for the data"),
            (0x8010_0029, "SCARD_E_BAD_SEEK", .other, "could not set the card's file pointer"),
            (0x8010_002A, "SCARD_E_INVALID_CHV", .other, "the PIN is wrong"),
            (0x8010_002B, "SCARD_E_UNKNOWN_RES_MNG", .other, "a layered component returned an unknown error"),
            (0x8010_002C, "SCARD_E_NO_SUCH_CERTIFICATE", .other, "the certificate does not exist"),
            (0x8010_002D, "SCARD_E_CERTIFICATE_UNAVAILABLE", .other, "the certificate could not be obtained"),
            (
                0x8010_002E, "SCARD_E_NO_READERS_AVAILABLE", .noReaders,
                "pcscd has no reader; plug one in, or start the virtual reader (`scripts/virtual-reader start`)"
            ),
            (0x8010_002F, "SCARD_E_COMM_DATA_LOST", .protocolError, "data was lost talking to the card; retry"),
            (0x8010_0030, "SCARD_E_NO_KEY_CONTAINER", .other, "the key container does not exist on the card"),
            (0x8010_0031, "SCARD_E_SERVER_TOO_BUSY", .readerUnavailable, "pcscd is too busy; retry in a moment"),
            (
                0x8010_0065, "SCARD_W_UNSUPPORTED_CARD", .protocolError,
                "the reader cannot talk to the card (its ATR asks for settings the reader lacks)"
            ),
            (
                0x8010_0066, "SCARD_W_UNRESPONSIVE_CARD", .noCard,
                "the card does not answer reset; take it out and insert it again (chip first, contacts up)"
            ),
            (0x8010_0067, "SCARD_W_UNPOWERED_CARD", .noCard, "the card is unpowered; reconnect to power it"),
            (
                0x8010_0068, "SCARD_W_RESET_CARD", .cardReset,
                "another program reset the card, so whatever was selected or verified is gone; reconnect and start "
                    + "again"
            ),
            (
                0x8010_0069, "SCARD_W_REMOVED_CARD", .cardRemoved,
                "the card was removed; insert it and connect again"
            ),
            (0x8010_006A, "SCARD_W_SECURITY_VIOLATION", .other, "access was denied by a security violation"),
            (0x8010_006B, "SCARD_W_WRONG_CHV", .other, "the wrong PIN was presented"),
            (0x8010_006C, "SCARD_W_CHV_BLOCKED", .other, "the PIN is blocked after too many wrong tries"),
            (0x8010_006D, "SCARD_W_EOF", .other, "the end of the card's file was reached"),
            (0x8010_006E, "SCARD_W_CANCELLED_BY_USER", .cancelled, "the user cancelled"),
            (0x8010_006F, "SCARD_W_CARD_NOT_AUTHENTICATED", .other, "no PIN was presented to the card"),
        ]
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.0, Entry(name: $0.1, kind: $0.2, advice: $0.3)) })
    }()
}
