import Testing
import Transport

/// Real readers' CCID class descriptors. The bytes are re-encoded, field by field, from the values the readers
/// report in LudovicRousseau/CCID `readers/*.txt` (the output of libccid's `parse` on the device; snapshot of
/// 2026-06-27): ACS_ACR39U_ICC_Reader.txt, GemPCPinpad.txt, ACS_ACR1252_Reader.txt.
@Suite("CCID class descriptor")
struct CCIDClassDescriptorTests {
    /// ACS ACR39U (072F:B100), a contact reader common in Japan for the My Number card: TPDU level, no PIN pad.
    static let acr39u = bytes(
        "36 21 10 01 00 07 03 00 00 00 C0 12 00 00 80 3E 00 00 00 67 32 00 00 90 9A 0C 00 00 F7 00 00 00 00 00 00 00 "
            + "00 00 00 00 B2 00 01 00 0F 01 00 00 FF FF 00 00 00 01")
    /// Gemplus GemPC Pinpad (08E6:3478): TPDU level, PIN verification and modification.
    static let gemPCPinpad = bytes(
        "36 21 00 01 00 07 03 00 00 00 A0 0F 00 00 A0 0F 00 00 00 00 2A 00 00 20 A1 07 00 00 FE 00 00 00 00 00 00 00 "
            + "00 00 00 00 30 02 01 00 0F 01 00 00 00 00 00 00 03 01")
    /// ACS ACR1252 (072F:223E), contactless: short and extended APDU level, T=1 only.
    static let acr1252 = bytes(
        "36 21 00 01 00 07 02 00 00 00 A0 0F 00 00 A0 0F 00 00 00 00 2A 00 00 90 D0 03 00 00 FE 00 00 00 00 00 00 00 "
            + "00 00 00 00 BA 04 04 00 0A 02 00 00 00 00 00 00 00 01")

    @Test("ACR39U: CCID 1.10, T=0 and T=1, TPDU level, 271-byte messages, no PIN pad")
    func acr39u() throws {
        let ccid = try CCIDClassDescriptor(bytes: Self.acr39u)
        #expect(ccid.ccidVersion == 0x0110)
        #expect(ccid.supportsT0 && ccid.supportsT1)
        #expect(ccid.defaultClockKHz == 4800 && ccid.maximumClockKHz == 16000)
        #expect(ccid.defaultDataRate == 12903 && ccid.maximumDataRate == 826_000)
        #expect(ccid.maxIFSD == 247)
        #expect(ccid.featureBits == 0x0001_00B2)
        #expect(ccid.exchangeLevel == .tpdu && !ccid.supportsExtendedAPDU)
        #expect(
            ccid.features.automaticNames == ["parameters from ATR", "clock", "baud rate", "PPS"])
        #expect(ccid.maxMessageLength == 271)
        #expect(!ccid.supportsPINVerification && !ccid.supportsPINModification)
        #expect(
            ccid.summary == [
                "CCID 1.10, T=0 T=1, 1 slot(s)",
                "exchange: TPDU level; extended APDUs: up to the host driver; max message 271 bytes",
                "automatic: parameters from ATR, clock, baud rate, PPS",
                "PIN pad: no",
            ])
    }

    @Test("GemPC Pinpad: PIN verification and modification, NAD other than 00 accepted")
    func gemPCPinpad() throws {
        let ccid = try CCIDClassDescriptor(bytes: Self.gemPCPinpad)
        #expect(ccid.ccidVersion == 0x0100)
        #expect(ccid.pinSupport == 0x03 && ccid.supportsPINVerification && ccid.supportsPINModification)
        #expect(ccid.features.contains(.nadOtherThanZero))
        #expect(ccid.exchangeLevel == .tpdu)
        #expect(ccid.summary.last == "PIN pad: verification and modification")
    }

    @Test("ACR1252: short and extended APDU level, automatic IFSD, 522-byte messages")
    func acr1252() throws {
        let ccid = try CCIDClassDescriptor(bytes: Self.acr1252)
        #expect(ccid.supportsT1 && !ccid.supportsT0)
        #expect(ccid.exchangeLevel == .shortAndExtendedAPDU && ccid.supportsExtendedAPDU)
        #expect(ccid.features.contains(.automaticIFSD) && ccid.features.contains(.automaticVoltage))
        #expect(ccid.maxMessageLength == 522)
        #expect(
            ccid.summary[1] == "exchange: short and extended APDU level; extended APDUs: yes; max message 522 bytes")
    }

    @Test("Found among other descriptors in an interface's extra bytes; absent when there is none")
    func find() throws {
        let vendorSpecific: [UInt8] = [0x05, 0x24, 0x01, 0x02, 0x03]
        #expect(CCIDClassDescriptor.find(in: vendorSpecific + Self.acr39u)?.maxIFSD == 247)
        #expect(CCIDClassDescriptor.find(in: vendorSpecific) == nil)
        #expect(CCIDClassDescriptor.find(in: []) == nil)
        #expect(CCIDClassDescriptor.find(in: [0x00, 0x21]) == nil, "a zero length must not loop")
    }

    @Test("Malformed descriptors are refused with what is wrong")
    func malformed() {
        #expect(throws: CCIDClassDescriptor.ParseError.tooShort(53)) {
            try CCIDClassDescriptor(bytes: Array(Self.acr39u.prefix(53)))
        }
        #expect(throws: CCIDClassDescriptor.ParseError.wrongType(0x24)) {
            try CCIDClassDescriptor(bytes: [0x36, 0x24] + Self.acr39u.dropFirst(2))
        }
        #expect(throws: CCIDClassDescriptor.ParseError.wrongLength(0x35)) {
            try CCIDClassDescriptor(bytes: [0x35] + Self.acr39u.dropFirst())
        }
        #expect("\(CCIDClassDescriptor.ParseError.tooShort(3))" == "a CCID class descriptor is 54 bytes; got 3")
    }
}
