import APDU
import CardEmulator
import Testing
import Transport

@Suite("Virtual reader slot: what the reader answers and what reaches the card")
struct VirtualCardSlotTests {
    func slot(_ interface: CardInterface, profile: CardProfile? = nil) throws -> VirtualCardSlot {
        VirtualCardSlot(card: EmulatedCard(profile: try profile ?? loadProfile()), interface: interface)
    }

    func send(_ slot: inout VirtualCardSlot, _ hex: String) -> [UInt8]? {
        slot.reply(to: VPCDMessage(payload: bytes(hex))).bytes
    }

    @Test("vpcd messages: 1 byte is a control code, longer is an APDU; frames are 2-byte big-endian lengths")
    func messages() {
        #expect(VPCDMessage(payload: [0x00]) == .powerOff)
        #expect(VPCDMessage(payload: [0x01]) == .powerOn)
        #expect(VPCDMessage(payload: [0x02]) == .reset)
        #expect(VPCDMessage(payload: [0x04]) == .getATR)
        #expect(VPCDMessage(payload: [0x03]) == .unknownControl(0x03))
        #expect(VPCDMessage(payload: [0x00, 0xA4]) == .command([0x00, 0xA4]))
        #expect(VPCDMessage.getATR.expectsReply && VPCDMessage.command([0, 0]).expectsReply)
        #expect(!VPCDMessage.powerOn.expectsReply && !VPCDMessage.reset.expectsReply)
        #expect(VPCDFrame.encode([0x90, 0x00]) == [0x00, 0x02, 0x90, 0x00])
        #expect(VPCDFrame.encode([UInt8](repeating: 1, count: 258)).prefix(2) == [0x01, 0x02])
        #expect(VPCDFrame.length(ofHeader: (0xFF, 0xFF)) == 65535)
    }

    @Test("Contact: the card's ATR; FF commands reach the card, which refuses the class")
    func contact() throws {
        var slot = try slot(.contact)
        #expect(slot.reply(to: .getATR) == .init(bytes: contactATR, byReader: true))
        #expect(send(&slot, "FFCA000000") == [0x6E, 0x00])
        #expect(send(&slot, "00CA5F5100") == bytes("E000FF8131FE4514") + [0x90, 0x00])
    }

    @Test("Contactless: the reader's Type B ATR, whose TCK checks, and the card's real ATR through GET DATA 5F51")
    func contactlessATR() throws {
        var slot = try slot(.contactless)
        let atr = slot.reply(to: .getATR).bytes ?? []
        #expect(atr == bytes("3B8880010000 05E0B381A1007F"))
        #expect(atr.dropFirst().reduce(0, ^) == 0, "TCK: T0 to TCK XOR to zero")
        #expect(send(&slot, "00CA5F5100") == bytes("E000FF8131FE4514 9000"))
        // OpenSC's AID probe still finds the JPKI AP: the card behind the reader is the same.
        #expect(send(&slot, "00A4040C0AD392F000260100000001") == [0x90, 0x00])
    }

    @Test(
        "Contactless FF CA (PC/SC Part 3): the PUPI with 9000, 6282 for a larger Le, 6C04 for a smaller one",
        arguments: [
            ("FFCA000000", "9000"), ("FFCA000004", "9000"), ("FFCA000010", "6282"), ("FFCA000002", "6C04"),
        ])
    func getUID(command: String, status: String) throws {
        var profile = try loadProfile()
        profile.contactless.pupi = .fixed([0xA1, 0xB2, 0xC3, 0xD4])
        var slot = try slot(.contactless, profile: profile)
        let expected = status == "6C04" ? bytes(status) : bytes("A1B2C3D4") + bytes(status)
        #expect(send(&slot, command) == expected)
        let reply = slot.reply(to: .command(bytes(command)))
        #expect(reply.byReader, "the reader answers FF CA itself; no card time applies")
    }

    @Test("Contactless: other reader commands are refused as a reader refuses them")
    func otherReaderCommands() throws {
        var slot = try slot(.contactless)
        #expect(send(&slot, "FFCA010000") == [0x6A, 0x81], "ATS historical bytes: Type A only")
        #expect(send(&slot, "FF82000006FFFFFFFFFFFF") == [0x6D, 0x00])
        #expect(send(&slot, "FFCA00") == [0x67, 0x00])
    }

    @Test("A random PUPI changes at each activation; a fixed or derived one does not")
    func pupi() throws {
        var profile = try loadProfile()
        profile.contactless.pupi = .random
        var random = try slot(.contactless, profile: profile)
        var seen = Set<[UInt8]>()
        for _ in 0..<4 {
            seen.insert(random.pupi)
            _ = random.reply(to: .powerOn)
        }
        #expect(seen.count >= 3 && seen.allSatisfy { $0.count == 4 })
        var derived = try slot(.contactless)
        let first = derived.pupi
        _ = derived.reply(to: .reset)
        #expect(derived.pupi == first && first.count == 4)
        #expect(first == ContactlessSetting.derived(fromProfileName: "default").fixedPUPI)
    }

    @Test("Power off, power on and reset clear what was selected and verified, never the counters")
    func power() throws {
        var slot = try slot(.contact)
        for message in [VPCDMessage.powerOff, .powerOn, .reset] {
            _ = send(&slot, "00A4040C0AD392F000260100000001")
            _ = send(&slot, "00A4020C020018")
            #expect(slot.reply(to: message).bytes == nil, "\(message) has no reply")
            #expect(send(&slot, "00A4020C020018") == [0x6A, 0x82], "\(message) must clear the selection")
        }
        _ = send(&slot, "00A4040C0AD392F000260100000001")
        _ = send(&slot, "00A4020C020018")
        _ = send(&slot, "002000800439393939")
        _ = slot.reply(to: .reset)
        _ = send(&slot, "00A4040C0AD392F000260100000001")
        _ = send(&slot, "00A4020C020018")
        #expect(send(&slot, "00200080") == [0x63, 0xC2])
    }

    @Test("The restore command is answered by the reader, 9000, and brings back a blocked PIN")
    func restore() throws {
        var slot = try slot(.contact, profile: try loadProfile("auth-pin-blocked"))
        _ = send(&slot, "00A4040C0AD392F000260100000001")
        _ = send(&slot, "00A4020C020018")
        #expect(send(&slot, "00200080") == [0x63, 0xC0])
        let reply = slot.reply(to: .command(EmulatorControlCommand.restoreInitialState))
        #expect(reply == .init(bytes: [0x90, 0x00], byReader: true, restored: true))
        _ = send(&slot, "00A4040C0AD392F000260100000001")
        _ = send(&slot, "00A4020C020018")
        #expect(send(&slot, "00200080") == [0x63, 0xC0], "the profile's initial state is blocked")
        #expect(EmulatorControlCommand.restoreInitialState == bytes("FFEE0000086D796E61636F6E66"))
    }
}

extension ContactlessSetting {
    var fixedPUPI: [UInt8]? {
        if case .fixed(let bytes) = pupi { return bytes }
        return nil
    }
}
