import Testing
import Transport

@Suite("PC/SC status codes")
struct PCSCStatusTests {
    /// Every SCARD_E_/F_/P_/W_ code pcsc-lite 1.9.9's pcsclite.h defines, by value.
    static let definedCodes: [UInt32] =
        Array(0x8010_0001...0x8010_0021) + Array(0x8010_0023...0x8010_0031) + Array(0x8010_0065...0x8010_006F)

    @Test("Every code pcsc-lite defines has its name and advice; the message carries the hex code and the action")
    func everyCodeExplained() {
        for code in Self.definedCodes {
            let entry = PCSCStatus.table[code]
            #expect(entry != nil, "0x\(String(code, radix: 16)) has no entry")
            guard let entry else { continue }
            #expect(entry.name.hasPrefix("SCARD_"))
            #expect(entry.advice.count > 10)
            let error = PCSCStatus.error(code, doing: "testing")
            #expect(
                error.message.hasPrefix("PC/SC error 0x\(String(code, radix: 16, uppercase: true)) (\(entry.name))"))
            #expect(error.message.contains("while testing"))
        }
        #expect(PCSCStatus.table.count == Self.definedCodes.count)
    }

    @Test("The codes a person meets most say what to do")
    func actionable() {
        let noService = PCSCStatus.error(0x8010_001D, doing: "connecting to pcscd")
        #expect(noService.kind == .noService)
        #expect(noService.message.contains("pcscd is not running"))
        #expect(noService.message.contains("scripts/virtual-reader start"))
        let removed = PCSCStatus.error(0x8010_0069, doing: "sending a command")
        #expect(removed.kind == .cardRemoved && removed.message.contains("the card was removed"))
        #expect(PCSCStatus.error(0x8010_000C, doing: "x").kind == .noCard)
        #expect(PCSCStatus.error(0x8010_0068, doing: "x").kind == .cardReset)
        #expect(PCSCStatus.error(0x8010_0017, doing: "x").message.contains("unplugged"))
        #expect(PCSCStatus.error(0x8010_0016, doing: "x").message.contains("pulled out mid-command"))
        #expect(PCSCStatus.error(0x8010_000B, doing: "x").message.contains("exclusively"))
    }

    @Test("An undefined code is still reported with its value, never a crash")
    func undefined() {
        let error = PCSCStatus.error(0x1234, doing: "x")
        #expect(error.kind == .other && error.message.contains("0x1234"))
        #expect(PCSCStatus.error(Int32(bitPattern: 0x8010_0069), doing: "x").kind == .cardRemoved)
    }
}
