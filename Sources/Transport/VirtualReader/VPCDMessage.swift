/// One message from vsmartcard's vpcd reader driver to the card (research/virtual-reader.md §2). Every message
/// is framed as a 2-byte big-endian length and that many bytes; a 1-byte payload is a control code, anything
/// longer a command APDU passed through unchanged.
public enum VPCDMessage: Hashable, Sendable {
    /// `00`: the reader removed power (no reply).
    case powerOff
    /// `01`: power on (no reply); vpcd asks for the ATR next.
    case powerOn
    /// `02`: warm reset (no reply); vpcd asks for the ATR next.
    case reset
    /// `04`: the ATR, asked at power on, reset and every presence poll (400 ms).
    case getATR
    /// A control code vpcd 0.8 does not send.
    case unknownControl(UInt8)
    /// A command APDU; the reply is the response APDU (at least SW1 SW2: an empty reply means "card gone").
    case command([UInt8])

    public init(payload: [UInt8]) {
        guard payload.count == 1 else {
            self = .command(payload)
            return
        }
        switch payload[0] {
        case 0x00: self = .powerOff
        case 0x01: self = .powerOn
        case 0x02: self = .reset
        case 0x04: self = .getATR
        default: self = .unknownControl(payload[0])
        }
    }

    /// Whether vpcd waits for a reply to this message.
    public var expectsReply: Bool {
        switch self {
        case .getATR, .command: return true
        case .powerOff, .powerOn, .reset, .unknownControl: return false
        }
    }
}

/// The vpcd framing: a 2-byte big-endian length, then the payload.
public enum VPCDFrame {
    /// The largest payload one frame can carry.
    public static let maximumPayload = 0xFFFF

    /// The frame for `payload` (header and body in one buffer, so the card sends it with one write).
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= maximumPayload, "a vpcd frame carries at most 65535 bytes")
        var frame = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        frame.reserveCapacity(payload.count + 2)
        frame += payload
        return frame
    }

    /// The payload length announced by a 2-byte header.
    public static func length(ofHeader header: (UInt8, UInt8)) -> Int {
        Int(header.0) << 8 | Int(header.1)
    }
}
