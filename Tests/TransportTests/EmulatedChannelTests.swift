import APDU
import CardEmulator
import Foundation
import Testing
import Transport

@Suite("Emulated channel")
struct EmulatedChannelTests {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("Commands reach the card and state persists across transmissions; reset clears it")
    func roundTrip() async throws {
        let profile = try CardProfile.load(path: "\(root)/Vectors/cards/default.yaml")
        let channel = EmulatedChannel(card: EmulatedCard(profile: profile))
        #expect(await channel.atr() == CardProfile.contactATR)
        let select = CommandAPDU(cla: 0, ins: 0xA4, p1: 4, p2: 0x0C, data: try Hex.decode("D392F000260100000001"))
        #expect(try await channel.transmit(select).statusWord == .success)
        #expect(try await channel.transmit(try CommandAPDU(hex: "00A4020C020018")).statusWord == .success)
        #expect(try await channel.transmit(try CommandAPDU(hex: "00A4020C020018")).statusWord == .success)
        _ = await channel.reset()
        #expect(try await channel.transmit(try CommandAPDU(hex: "00A4020C020018")).statusWord == .fileNotFound)
    }

    @Test("A PC/SC failure says what to do: no service, no card, removed")
    func pcscErrorsAreActionable() {
        let noService = PCSCStatus.error(0x8010_001D, doing: "connecting")
        #expect(noService.kind == .noService)
        #expect(noService.message.contains("0x8010001D") && noService.message.contains("pcscd is not running"))
        #expect(PCSCStatus.error(0x8010_0069, doing: "transmitting").kind == .cardRemoved)
        #expect(PCSCStatus.error(0x8010_000C, doing: "connecting").kind == .noCard)
        #expect(PCSCStatus.error(0x1234, doing: "x").kind == .other)
    }
}
