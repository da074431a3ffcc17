import APDU
import CardCrypto
import Testing

@testable import CardEmulator

@Suite("Security state, selection and reset")
struct SecurityStateTests {
    let digestInfo = DigestInfo.of(.sha256, message: Array("state".utf8))

    @Test("The verified state survives selecting other EFs in the AP")
    func survivesEFSelection() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(apdu("00200098", data: ascii("1234")))
        for fid in ["000A", "0006", "0018", "000B", "0017"] { _ = try card.send(selectEF(fid)) }
        #expect(try card.exchange(apdu("802A0080", data: digestInfo, le: 0)).statusWord == .success)
    }

    @Test("Re-selecting the JPKI AP (OpenSC's logout) clears the verified state")
    func clearedByReselectingTheApplication() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(apdu("00200098", data: ascii("1234")))
        #expect(try card.send(selectJPKI) == "9000")
        _ = try card.send(selectEF("0017"))
        #expect(try card.send(apdu("802A0080", data: digestInfo, le: 0)) == "6982")
    }

    @Test("A reset clears the selection and the verified state; counters and PIN values persist")
    func clearedByReset() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(apdu("00200098", data: ascii("0000")))
        _ = try card.send(apdu("00200098", data: ascii("1234")))
        _ = try card.send(apdu("00200098", data: ascii("0000")))
        card.reset()
        #expect(card.currentApplication == nil)
        #expect(try card.send(selectEF("0017")) == "6A82", "no EF is selectable before an AP")
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0017"))
        #expect(try card.send(apdu("802A0080", data: digestInfo, le: 0)) == "6982")
        #expect(try card.send("00200098") == "63C2")
    }

    @Test("A wrong VERIFY after a right one withdraws the verified state")
    func wrongTryWithdrawsState() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(apdu("00200098", data: ascii("1234")))
        _ = try card.send(apdu("00200098", data: ascii("0000")))
        _ = try card.send(selectEF("0017"))
        #expect(try card.send(apdu("802A0080", data: digestInfo, le: 0)) == "6982")
    }

    @Test("Selecting an unknown AID answers 6A82 and keeps the current AP and its state")
    func failedSelectKeepsState() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(apdu("00200098", data: ascii("1234")))
        #expect(try card.send("00A4040C07A0000000031010") == "6A82")
        _ = try card.send(selectEF("0017"))
        #expect(try card.send(apdu("802A0080", data: digestInfo, le: 0)).hasSuffix("9000"))
    }

    @Test("MF select: 6A86 right after reset, 9000 (nothing changes) with an AP current; 3F00 by FID is 6A82")
    func masterFileSelect() throws {
        var card = try makeCard()
        #expect(try card.send("00A40000") == "6A86")
        _ = try card.send(selectJPKI)
        #expect(try card.send("00A40000") == "9000")
        #expect(card.currentApplication != nil)
        #expect(try card.send(selectEF("3F00")) == "6A82")
    }

    @Test("Profiles set counters: one try left, blocked auth PIN, blocked signing password")
    func profileCounters() throws {
        var oneTry = try makeCard("auth-pin-one-try")
        _ = try oneTry.send(selectJPKI)
        #expect(try oneTry.send("00200098") == "63C1")
        #expect(try oneTry.send(apdu("00200098", data: ascii("0000"))) == "63C0")
        #expect(try oneTry.send(apdu("00200098", data: ascii("1234"))) == "6984")

        var blocked = try makeCard("auth-pin-blocked")
        _ = try blocked.send(selectJPKI)
        #expect(try blocked.send("00200098") == "63C0")
        #expect(try blocked.send(apdu("00200098", data: ascii("1234"))) == "6984")
        #expect(try blocked.send("0020009B") == "63C5")

        var signBlocked = try makeCard("sign-password-blocked")
        _ = try signBlocked.send(selectJPKI)
        #expect(try signBlocked.send(apdu("0020009B", data: ascii("ABC123"))) == "6984")
    }

    @Test("An under-15 card has no signing certificate, key or password: EF 0008 is 00 8F 00")
    func underFifteen() throws {
        var card = try makeCard("under-15")
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0008"))
        #expect(try card.send("00B0000003") == "008F009000")
        for fid in ["0001", "001A", "001B"] { #expect(try card.send(selectEF(fid)) == "6A82") }
        #expect(try card.send(selectEF("0002")) == "9000")
        #expect(try card.send(selectEF("000A")) == "9000")
    }

    @Test("The behaviour switches: a malformed PIN refused with 6A80 spends nothing; empty VERIFY after success 9000")
    func behaviourSwitches() throws {
        var profile = try loadProfile()
        profile.behaviour.malformedPIN = .refused
        profile.behaviour.emptyVerifyAfterSuccess = .success
        var card = EmulatedCard(profile: profile)
        _ = try card.send(selectJPKI)
        #expect(try card.send(apdu("00200098", data: ascii("12345"))) == "6A80")
        #expect(try card.send("00200098") == "63C3")
        #expect(try card.send(apdu("00200098", data: ascii("1234"))) == "9000")
        #expect(try card.send("00200098") == "9000")
    }
}
