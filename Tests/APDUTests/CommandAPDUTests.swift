import APDU
import Testing

/// One well-formed command as hex, with what decoding must find.
struct CommandCase: Sendable, CustomTestStringConvertible {
    let hex: String
    let apduCase: APDUCase
    let extended: Bool
    let dataCount: Int
    let le: Int?
    var testDescription: String { hex }
}

@Suite struct CommandAPDUTests {
    static let wellFormed = [
        CommandCase(hex: "00 A4 04 0C", apduCase: .one, extended: false, dataCount: 0, le: nil),
        CommandCase(hex: "00 B0 00 00 11", apduCase: .two, extended: false, dataCount: 0, le: 17),
        CommandCase(hex: "00 84 00 00 00", apduCase: .two, extended: false, dataCount: 0, le: 256),
        CommandCase(
            hex: "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", apduCase: .three, extended: false, dataCount: 10,
            le: nil),
        CommandCase(hex: "00 20 00 80 04 31 32 33 34", apduCase: .three, extended: false, dataCount: 4, le: nil),
        CommandCase(hex: "00 88 00 99 04 01 02 03 04 00", apduCase: .four, extended: false, dataCount: 4, le: 256),
        CommandCase(hex: "80 2A 00 80 03 AA BB CC 05", apduCase: .four, extended: false, dataCount: 3, le: 5),
        CommandCase(hex: "00 B0 00 00 00 01 00", apduCase: .two, extended: true, dataCount: 0, le: 256),
        CommandCase(hex: "00 B0 00 00 00 00 00", apduCase: .two, extended: true, dataCount: 0, le: 65536),
        CommandCase(hex: "00 B0 00 00 00 00 05", apduCase: .two, extended: true, dataCount: 0, le: 5),
        CommandCase(hex: "00 D6 00 00 00 00 03 AA BB CC", apduCase: .three, extended: true, dataCount: 3, le: nil),
        CommandCase(
            hex: "00 2A 9E 9A 00 00 03 AA BB CC 00 00", apduCase: .four, extended: true, dataCount: 3, le: 65536),
        CommandCase(
            hex: "00 2A 9E 9A 00 00 03 AA BB CC 01 02", apduCase: .four, extended: true, dataCount: 3, le: 258),
    ]

    @Test(arguments: wellFormed)
    func decodesAndReencodesByteExact(_ command: CommandCase) throws {
        let bytes = try Hex.decode(command.hex)
        let apdu = try CommandAPDU(bytes: bytes)
        #expect(apdu.apduCase == command.apduCase)
        #expect(apdu.isExtended == command.extended)
        #expect(apdu.data.count == command.dataCount)
        #expect(apdu.le == command.le)
        #expect(apdu.bytes == bytes)
        #expect(try CommandAPDU(hex: command.hex) == apdu)
        #expect(apdu.description == command.hex)
        #expect(Array(bytes[0..<4]) == [apdu.cla, apdu.ins, apdu.p1, apdu.p2])
    }

    @Test(arguments: [APDUCase.three, .four], [LengthEncoding.short, .extended])
    func roundTripsLargestData(_ apduCase: APDUCase, _ encoding: LengthEncoding) throws {
        let count = encoding == .short ? 255 : 65535
        let data = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let le = apduCase == .four ? (encoding == .short ? 256 : 65536) : nil
        let apdu = try CommandAPDU(cla: 0x00, ins: 0xD6, p1: 0, p2: 0, data: data, le: le, encoding: encoding)
        let decoded = try CommandAPDU(bytes: apdu.bytes)
        #expect(decoded == apdu)
        #expect(decoded.apduCase == apduCase)
        #expect(decoded.bytes.count == 4 + (encoding == .short ? 1 : 3) + count + (le == nil ? 0 : le! > 256 ? 2 : 1))
    }

    @Test func picksExtendedOnlyWhenNeeded() {
        #expect(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 256).bytes == [0x00, 0xB0, 0x00, 0x00, 0x00])
        #expect(
            CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 257).bytes == [0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x01])
        #expect(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 65536).bytes.suffix(3) == [0x00, 0x00, 0x00])
        let big = CommandAPDU(cla: 0, ins: 0xD6, p1: 0, p2: 0, data: Array(repeating: 0xAB, count: 256))
        #expect(big.encoding == .extended)
        #expect(big.bytes.prefix(7) == [0x00, 0xD6, 0x00, 0x00, 0x00, 0x01, 0x00])
        let small = CommandAPDU(cla: 0, ins: 0xD6, p1: 0, p2: 0, data: Array(repeating: 0xAB, count: 255))
        #expect(small.encoding == .short)
        #expect(small.bytes.prefix(5) == [0x00, 0xD6, 0x00, 0x00, 0xFF])
    }

    @Test func caseOneHasNoLengthFieldsEvenWhenExtended() throws {
        let apdu = try CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80, encoding: .extended)
        #expect(apdu.apduCase == .one)
        #expect(!apdu.isExtended)
        #expect(apdu.bytes == [0x00, 0x20, 0x00, 0x80])
    }

    @Test func validatedRejectsValuesThatDoNotFit() throws {
        var apdu = CommandAPDU(cla: 0, ins: 0xD6, p1: 0, p2: 0, data: [1, 2, 3])
        #expect(try apdu.validated() == apdu)
        apdu.data = Array(repeating: 0, count: 256)
        var error = try #require(throws: APDUError.valueTooLong()) { try apdu.validated() }
        #expect(error.message.contains("256 bytes") && error.message.contains("at most 255"))
        apdu.encoding = .extended
        #expect(try apdu.validated() == apdu)
        apdu.data = Array(repeating: 0, count: 65536)
        #expect(throws: APDUError.valueTooLong()) { try apdu.validated() }

        for (le, encoding) in [(0, LengthEncoding.short), (257, .short), (-1, .extended), (65537, .extended)] {
            error = try #require(throws: APDUError.invalidLength()) {
                try CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: le, encoding: encoding)
            }
            #expect(error.message.contains("Le \(le) is out of range"))
        }
    }

    @Test func outOfRangeValuesEncodeWithoutTrapping() {
        var apdu = CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: -5)
        #expect(apdu.bytes.count == 5)
        apdu.data = Array(repeating: 0, count: 70000)
        apdu.le = Int.max
        #expect(apdu.encoding == .short)  // mutation keeps the encoding chosen at init
        #expect(apdu.bytes.count == 4 + 1 + 70000 + 1)
        #expect(throws: APDUError.valueTooLong()) { try apdu.validated() }
        apdu.encoding = .extended
        #expect(apdu.bytes.count == 4 + 3 + 70000 + 2)
    }

    @Test func mutatingFieldsChangesTheEncoding() {
        var apdu = CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x18])
        #expect(apdu.description == "00 A4 02 0C 02 00 18")
        apdu.le = 0x20
        apdu.cla = 0x0C
        #expect(apdu.description == "0C A4 02 0C 02 00 18 20")
        #expect(apdu.apduCase == .four)
    }
}
