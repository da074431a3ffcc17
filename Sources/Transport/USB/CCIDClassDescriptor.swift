/// The CCID class descriptor of a USB smart-card reader (USB CCID specification rev. 1.1, §5.1, table 5.1-1):
/// 54 bytes, type `21`, after the interface descriptor. It says what the reader does itself — whether it
/// exchanges whole APDUs (so extended-length APDUs work) or TPDUs, which parameters it sets automatically, how
/// long a message may be, and whether it has a PIN pad.
public struct CCIDClassDescriptor: Hashable, Sendable {
    /// The level at which the host and the reader exchange data (`dwFeatures` bits 16–18).
    public enum ExchangeLevel: String, Sendable {
        case character = "character level"
        case tpdu = "TPDU level"
        case shortAPDU = "short APDU level"
        case shortAndExtendedAPDU = "short and extended APDU level"
    }

    /// `dwFeatures`, bit by bit.
    public struct Features: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let automaticParametersFromATR = Features(rawValue: 0x0000_0002)
        public static let automaticActivation = Features(rawValue: 0x0000_0004)
        public static let automaticVoltage = Features(rawValue: 0x0000_0008)
        public static let automaticClock = Features(rawValue: 0x0000_0010)
        public static let automaticBaudRate = Features(rawValue: 0x0000_0020)
        public static let automaticParameterNegotiation = Features(rawValue: 0x0000_0040)
        public static let automaticPPS = Features(rawValue: 0x0000_0080)
        public static let clockStop = Features(rawValue: 0x0000_0100)
        public static let nadOtherThanZero = Features(rawValue: 0x0000_0200)
        public static let automaticIFSD = Features(rawValue: 0x0000_0400)
        public static let usbWakeUp = Features(rawValue: 0x0010_0000)

        /// The names of the automatic-parameter bits that are set, in the specification's order.
        public var automaticNames: [String] {
            let names: [(Features, String)] = [
                (.automaticParametersFromATR, "parameters from ATR"), (.automaticActivation, "activation"),
                (.automaticVoltage, "voltage"), (.automaticClock, "clock"), (.automaticBaudRate, "baud rate"),
                (.automaticParameterNegotiation, "parameter negotiation"), (.automaticPPS, "PPS"),
                (.automaticIFSD, "IFSD exchange"),
            ]
            return names.filter { contains($0.0) }.map(\.1)
        }
    }

    public static let descriptorType: UInt8 = 0x21
    public static let length = 54

    public var ccidVersion: UInt16
    public var maxSlotIndex: UInt8
    /// Bit 0 5 V, bit 1 3 V, bit 2 1.8 V.
    public var voltageSupport: UInt8
    /// Bit 0 T=0, bit 1 T=1.
    public var protocols: UInt32
    public var defaultClockKHz: UInt32
    public var maximumClockKHz: UInt32
    public var defaultDataRate: UInt32
    public var maximumDataRate: UInt32
    public var maxIFSD: UInt32
    public var mechanical: UInt32
    public var featureBits: UInt32
    public var maxMessageLength: UInt32
    public var lcdLayout: UInt16
    /// Bit 0 PIN verification, bit 1 PIN modification.
    public var pinSupport: UInt8
    public var maxBusySlots: UInt8

    public var features: Features { Features(rawValue: featureBits) }

    public var exchangeLevel: ExchangeLevel {
        switch featureBits & 0x0007_0000 {
        case 0x0004_0000: return .shortAndExtendedAPDU
        case 0x0002_0000: return .shortAPDU
        case 0x0001_0000: return .tpdu
        default: return .character
        }
    }

    /// Whether the reader itself carries extended-length APDUs. At TPDU level the host driver does the T=1
    /// chaining, so extended APDUs depend on the driver (libccid handles them) rather than the reader.
    public var supportsExtendedAPDU: Bool { exchangeLevel == .shortAndExtendedAPDU }
    public var supportsPINVerification: Bool { pinSupport & 0x01 != 0 }
    public var supportsPINModification: Bool { pinSupport & 0x02 != 0 }
    public var supportsT0: Bool { protocols & 0x1 != 0 }
    public var supportsT1: Bool { protocols & 0x2 != 0 }

    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case tooShort(Int)
        case wrongType(UInt8)
        case wrongLength(UInt8)

        public var description: String {
            switch self {
            case .tooShort(let count): return "a CCID class descriptor is 54 bytes; got \(count)"
            case .wrongType(let type): return "descriptor type \(type) is not the CCID class descriptor (33 = 0x21)"
            case .wrongLength(let length): return "bLength \(length) is not 54"
            }
        }
    }

    /// Parses the 54 bytes starting at `bLength`. Fields are little-endian, as USB descriptors are.
    public init(bytes: [UInt8]) throws(ParseError) {
        guard bytes.count >= Self.length else { throw .tooShort(bytes.count) }
        guard bytes[1] == Self.descriptorType else { throw .wrongType(bytes[1]) }
        guard bytes[0] == Self.length else { throw .wrongLength(bytes[0]) }
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        ccidVersion = u16(2)
        maxSlotIndex = bytes[4]
        voltageSupport = bytes[5]
        protocols = u32(6)
        defaultClockKHz = u32(10)
        maximumClockKHz = u32(14)
        // 18: bNumClockSupported
        defaultDataRate = u32(19)
        maximumDataRate = u32(23)
        // 27: bNumDataRatesSupported
        maxIFSD = u32(28)
        // 32: dwSynchProtocols
        mechanical = u32(36)
        featureBits = u32(40)
        maxMessageLength = u32(44)
        // 48: bClassGetResponse, 49: bClassEnvelope
        lcdLayout = u16(50)
        pinSupport = bytes[52]
        maxBusySlots = bytes[53]
    }

    /// Finds the class descriptor in a block of descriptors (an interface's "extra" bytes, where libusb puts
    /// class-specific descriptors); nil when there is none.
    public static func find(in block: [UInt8]) -> CCIDClassDescriptor? {
        var offset = 0
        while offset + 1 < block.count {
            let length = Int(block[offset])
            guard length >= 2, offset + length <= block.count else { return nil }
            if block[offset + 1] == descriptorType, length == Self.length {
                return try? CCIDClassDescriptor(bytes: Array(block[offset..<(offset + length)]))
            }
            offset += length
        }
        return nil
    }

    /// The descriptor in a few lines, as `mynaconf readers` prints it.
    public var summary: [String] {
        let version = "\(ccidVersion >> 8).\(String(ccidVersion & 0xFF, radix: 16).leftPadded(to: 2))"
        var protocolNames: [String] = []
        if supportsT0 { protocolNames.append("T=0") }
        if supportsT1 { protocolNames.append("T=1") }
        let extended =
            supportsExtendedAPDU
            ? "extended APDUs: yes"
            : exchangeLevel == .shortAPDU ? "extended APDUs: no" : "extended APDUs: up to the host driver"
        var pin: [String] = []
        if supportsPINVerification { pin.append("verification") }
        if supportsPINModification { pin.append("modification") }
        let automatic = features.automaticNames
        return [
            "CCID \(version), \(protocolNames.joined(separator: " ")), \(maxSlotIndex + 1) slot(s)",
            "exchange: \(exchangeLevel.rawValue); \(extended); max message \(maxMessageLength) bytes",
            "automatic: \(automatic.isEmpty ? "none" : automatic.joined(separator: ", "))",
            "PIN pad: \(pin.isEmpty ? "no" : pin.joined(separator: " and "))",
        ]
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
