/// A command APDU (ISO/IEC 7816-4 §5.1): header, optional command data (Lc), optional expected length (Le).
///
/// The memberwise initializer never fails, so building commands in code stays light. It does not check ranges:
/// `bytes` of an out-of-range command (data longer than its encoding allows, Le outside 1...256 or 1...65536) is
/// unspecified, though it never traps. Call `validated()`, or use the throwing `init(…, encoding:)`, when the
/// values come from outside.
public struct CommandAPDU: Hashable, Sendable, CustomStringConvertible {
    public var cla: UInt8
    public var ins: UInt8
    public var p1: UInt8
    public var p2: UInt8
    public var data: [UInt8]
    /// nil: no Le field. Short: 1...256 (256 is encoded 00). Extended: 1...65536 (65536 is encoded 0000).
    public var le: Int?
    /// Kept as parsed, so that `bytes` re-encodes a command exactly as it arrived (a small extended command stays
    /// extended). Ignored for case 1, which has no length fields.
    public var encoding: LengthEncoding

    /// Picks `.extended` when data.count > 255 or le > 256, `.short` otherwise. Later changes to `data` or `le` do
    /// not change `encoding`.
    public init(cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [], le: Int? = nil) {
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.le = le
        self.encoding = data.count > Self.maxShortData || (le ?? 0) > Self.maxShortLe ? .extended : .short
    }

    /// With an explicit encoding (e.g. a small command sent extended on purpose), checked like `validated()`.
    public init(
        cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [], le: Int? = nil, encoding: LengthEncoding
    ) throws(APDUError) {
        self.init(cla: cla, ins: ins, p1: p1, p2: p2, data: data, le: le)
        self.encoding = encoding
        try validate()
    }

    static let maxShortData = 255
    static let maxShortLe = 256
    static let maxExtendedData = 65535
    static let maxExtendedLe = 65536

    /// This command, if `data` and `le` fit `encoding`; otherwise `.valueTooLong` (data) or `.invalidLength` (Le).
    public func validated() throws(APDUError) -> CommandAPDU {
        try validate()
        return self
    }

    private func validate() throws(APDUError) {
        let (maxData, maxLe) =
            encoding == .short ? (Self.maxShortData, Self.maxShortLe) : (Self.maxExtendedData, Self.maxExtendedLe)
        if data.count > maxData {
            let hint = encoding == .short ? " (use extended length)" : ""
            throw .valueTooLong(
                "command data is \(counted(data.count, "byte")); a \(encoding) APDU carries at most \(maxData)\(hint)")
        }
        if let le, !(1...maxLe).contains(le) {
            throw .invalidLength("Le \(le) is out of range: a \(encoding) Le is 1...\(maxLe)")
        }
    }

    public var apduCase: APDUCase {
        switch (data.isEmpty, le == nil) {
        case (true, true): .one
        case (true, false): .two
        case (false, true): .three
        case (false, false): .four
        }
    }

    /// Whether `bytes` uses extended length fields; never for case 1, which has none.
    public var isExtended: Bool { encoding == .extended && apduCase != .one }

    /// The encoded command. Truncating conversions make 256 → 00 and 65536 → 00 00 fall out naturally, and keep
    /// out-of-range values from trapping.
    public var bytes: [UInt8] {
        var out = [cla, ins, p1, p2]
        out.reserveCapacity(4 + 3 + data.count + 2)
        let extended = isExtended
        if extended { out.append(0x00) }
        if !data.isEmpty {
            if extended { out.append(UInt8(truncatingIfNeeded: data.count >> 8)) }
            out.append(UInt8(truncatingIfNeeded: data.count))
            out += data
        }
        if let le {
            if extended { out.append(UInt8(truncatingIfNeeded: le >> 8)) }
            out.append(UInt8(truncatingIfNeeded: le))
        }
        return out
    }

    /// Spaced upper-case hex of `bytes`: "00 A4 04 0C 0A D3 92 …".
    public var description: String { Hex.encode(bytes, separator: " ") }
}

extension LengthEncoding: CustomStringConvertible {
    public var description: String { self == .short ? "short" : "extended" }
}

extension CommandAPDU {
    /// ISO/IEC 7816-3: 6x and 9x are procedure bytes (they start a status word), so no command can use them as INS.
    public static func isValidInstruction(_ ins: UInt8) -> Bool {
        ins & 0xF0 != 0x60 && ins & 0xF0 != 0x90
    }
}
