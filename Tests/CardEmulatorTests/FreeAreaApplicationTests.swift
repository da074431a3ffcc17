import APDU
import CardCrypto
import Testing

@testable import CardEmulator

@Suite("Free area: Type A, C and D applications (MCAP-1)")
struct FreeAreaApplicationTests {
    /// The installed card with one more AP in the extended region, ready to read.
    func card(with names: [String]) throws -> FreeAreaDriver {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        for name in names { _ = try driver.install(driver.package(name), in: .extended) }
        return driver
    }

    // MARK: - Type C

    @Test("Type C: 00 B0 00 00 00 returns 33 bytes with no authentication: 5F 50 0D + user ID, then its 17 bytes")
    func typeCRead() throws {
        var card = try makeFreeAreaCard("free-area-installed")
        #expect(try card.send("00A4040C07F04D594E414301") == "9000")
        #expect(
            try card.send("00B0000000")
                == "5F500D" + Hex.encode(Array("P5H0J7V2Y9G4A".utf8)) + "C1055030303031C20432303236C3020064" + "9000")
        #expect(try card.send("00B0001000") == "C1055030303031C20432303236C3020064" + "9000")
        #expect(try card.send("00B0002100") == "6B00")
        #expect(try card.send("00D6000001FF") == "6982")
        #expect(try card.send("00DC010401FF") == "6982")
    }

    // MARK: - Type A

    @Test("Type A: records only after mutual authentication with the AP's key; then header, user ID, information")
    func typeARecords() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        let library = driver.package("library-card")
        #expect(driver.select(library.aid) == .success)
        #expect(Hex.encode(driver.send(try Hex.decode("00B2010400")).bytes) == "6982")
        #expect(Hex.encode(driver.send(try Hex.decode("00DC030401FF")).bytes) == "6982")
        #expect(try driver.authenticate(keys: library.accessKeys!, p2: 0x80) == .success)
        #expect(Hex.encode(driver.send(try Hex.decode("00B2010400")).bytes) == "800141810102" + "9000")
        #expect(
            Hex.encode(driver.send(try Hex.decode("00B2020400")).bytes)
                == "5F500D" + Hex.encode(Array("L7Q2M9X4C1B8Z".utf8)) + "9000")
        #expect(
            Hex.encode(driver.send(try Hex.decode("00B2030400")).bytes) == Hex.encode(Array("LIB-0001234".utf8))
                + "9000")
        #expect(Hex.encode(driver.send(try Hex.decode("00B2050400")).bytes) == "6A83")
        // Information records can be rewritten; the header and user ID cannot.
        #expect(Hex.encode(driver.send(try Hex.decode("00DC04040A323033312D30332D3331")).bytes) == "9000")
        #expect(Hex.encode(driver.send(try Hex.decode("00B2040400")).bytes) == "323033312D30332D3331" + "9000")
        #expect(Hex.encode(driver.send(try Hex.decode("00DC020401FF")).bytes) == "6982")
        // A new SELECT ends the authentication.
        #expect(driver.select(library.aid) == .success)
        #expect(Hex.encode(driver.send(try Hex.decode("00B2010400")).bytes) == "6982")
    }

    @Test("Type A: another key answers 63 00; no challenge first 69 85")
    func typeAWrongKey() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        let library = driver.package("library-card")
        #expect(driver.select(library.aid) == .success)
        let wrong = SecureMessagingSuite.aes128.deriveKeys(from: Array("NOT-THE-LIB-KEY!".utf8))
        #expect(try driver.authenticate(keys: wrong, p2: 0x80) == StatusWord(0x63, 0x00))
        #expect(Hex.encode(driver.send(try Hex.decode("00B2010400")).bytes) == "6982")
        let answer = driver.send(
            CommandAPDU(cla: 0, ins: 0x82, p1: 0, p2: 0x80, data: [UInt8](repeating: 0, count: 40)))
        #expect(answer.statusWord == StatusWord(0x69, 0x85))
    }

    @Test("Type A password: refused before it, 63 Cx per wrong try, blocked 69 83 for good (3des AP)")
    func typeAPasswordLockout() throws {
        var driver = try card(with: ["seal-registration"])
        let seal = driver.package("seal-registration")
        #expect(seal.suite == .tripleDES)
        #expect(try driver.open(seal) == .success)
        #expect(Hex.encode(driver.send(try Hex.decode("00B2030400")).bytes) == "6982")  // password first
        #expect(Hex.encode(driver.send(try Hex.decode("00200081")).bytes) == "63C3")  // tries left, none spent
        #expect(Hex.encode(driver.send(try Hex.decode("002000810439393939")).bytes) == "63C2")
        #expect(Hex.encode(driver.send(try Hex.decode("002000810431323334")).bytes) == "9000")
        #expect(
            Hex.encode(driver.send(try Hex.decode("00B2030400")).bytes) == Hex.encode(Array("SEAL-0000567".utf8))
                + "9000")
        for expected in ["63C2", "63C1", "63C0"] {
            #expect(Hex.encode(driver.send(try Hex.decode("002000810439393939")).bytes) == expected)
        }
        #expect(Hex.encode(driver.send(try Hex.decode("002000810431323334")).bytes) == "6983")
        #expect(Hex.encode(driver.send(try Hex.decode("00B2030400")).bytes) == "6982")
        // Blocked across a reset and a new authentication.
        driver.card.reset()
        #expect(try driver.open(seal) == .success)
        #expect(Hex.encode(driver.send(try Hex.decode("002000810431323334")).bytes) == "6983")
    }

    // MARK: - Type D

    /// Selects and authenticates to a Type D, verifies its password when it has one, and reads it protected.
    func readTypeD(_ driver: inout FreeAreaDriver, _ package: CardAPPackage) throws -> [UInt8] {
        #expect(try driver.open(package) == .success)
        if let password = package.password {
            let verified = try driver.protected(CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x81, data: password))
            #expect(verified.statusWord == .success)
        }
        let read = try driver.protected(CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 256))
        #expect(read.statusWord == .success)
        return read.data
    }

    @Test(
        "Type D (both suites): the protected read decrypts to the user ID and the package's data",
        arguments: [
            "evacuee-record", "staff-id",
        ])
    func typeDProtectedRead(name: String) throws {
        var driver = try card(with: name == "staff-id" ? ["staff-id"] : [])
        let package = driver.package(name)
        #expect(package.suite == (name == "staff-id" ? .tripleDES : .aes128))
        let plain = try readTypeD(&driver, package)
        let id = try #require(driver.card.freeArea?.application(aid: package.aid)?.userID)
        #expect(plain == UserID.dataObject(id) + package.initialData)
    }

    @Test("Type D: the wire bytes of a protected READ BINARY: 0C B0 00 00 0D 97 01 00 8E 08 … 00")
    func typeDCommandBytes() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        let evacuee = driver.package("evacuee-record")
        #expect(try driver.open(evacuee) == .success)
        var host = try #require(driver.session)
        let command = try host.protect(CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0, p2: 0, le: 0xC0))
        #expect(Hex.encode(Array(command.bytes.prefix(8))) == "0CB000000D9701C0")
        #expect(command.bytes[8] == 0x8E && command.bytes[9] == 0x08 && command.bytes.last == 0x00)
        let raw = driver.card.process(command.bytes)
        // 87 L 01 <cryptogram> 99 02 90 00 8E 08 <MAC> 90 00
        #expect(raw.first == 0x87)
        #expect(Array(raw.suffix(16).prefix(4)) == [0x99, 0x02, 0x90, 0x00])
        #expect(Array(raw.suffix(2)) == [0x90, 0x00])
        let opened = try host.unprotect(raw)
        #expect(opened.data.count == 16 + evacuee.initialData.count)
    }

    @Test("Type D: a plain READ BINARY answers 69 82, before and after authentication")
    func typeDPlainRefused() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        let evacuee = driver.package("evacuee-record")
        #expect(driver.select(evacuee.aid) == .success)
        #expect(Hex.encode(driver.send(try Hex.decode("00B0000000")).bytes) == "6982")
        #expect(try driver.open(evacuee) == .success)
        #expect(Hex.encode(driver.send(try Hex.decode("00B0000000")).bytes) == "6982")
        // Protected commands before authentication: 69 82.
        #expect(driver.select(evacuee.aid) == .success)
        #expect(Hex.encode(driver.send(try Hex.decode("0CB000000D9701008E08010203040506070800")).bytes) == "6982")
    }

    @Test("Type D: two sessions read the same data as different ciphertext", arguments: SecureMessagingSuite.allCases)
    func typeDFreshSessions(suite: SecureMessagingSuite) throws {
        var profile = try loadProfile("free-area-installed")
        profile.freeArea!.packages = profile.freeArea!.packages.map { entry in
            var package = entry.package
            if entry.name == "evacuee-record" { package.suite = suite }
            return (entry.name, package)
        }
        var driver = FreeAreaDriver(card: EmulatedCard(profile: profile, random: SeededRandomSource(seed: [5])))
        let evacuee = driver.package("evacuee-record")
        var cryptograms: [[UInt8]] = []
        var keys: [SecureMessagingKeys] = []
        for _ in 0..<2 {
            #expect(try driver.open(evacuee) == .success)
            var host = try #require(driver.session)
            keys.append(host.keys)
            let command = try host.protect(CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0, p2: 0, le: 256))
            let raw = driver.card.process(command.bytes)
            cryptograms.append(Array(raw.dropLast(16)))
            #expect(try host.unprotect(raw).data.count == 16 + evacuee.initialData.count)
        }
        #expect(keys[0] != keys[1])
        #expect(cryptograms[0] != cryptograms[1])
    }

    @Test(
        "Type D: a wrong MAC answers 69 88 and ends the session; a replay answers 69 88",
        arguments: [
            "evacuee-record", "staff-id",
        ])
    func typeDTamperAndReplay(name: String) throws {
        var driver = try card(with: name == "staff-id" ? ["staff-id"] : [])
        let package = driver.package(name)
        _ = try readTypeD(&driver, package)
        let previous = try #require(driver.sent.last)
        #expect(Hex.encode(driver.card.process(previous)) == "6988")  // replayed: old counter
        #expect(Hex.encode(driver.card.process(previous)) == "6982")  // and the session is over

        _ = try readTypeD(&driver, package)
        var host = try #require(driver.session)
        var tampered = try host.protect(CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0, p2: 0, le: 256))
        tampered.data[tampered.data.count - 1] ^= 0x80  // the MAC's last byte
        #expect(Hex.encode(driver.card.process(tampered.bytes)) == "6988")
        var intact = try #require(driver.session)
        let next = try intact.protect(CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0, p2: 0, le: 256))
        #expect(Hex.encode(driver.card.process(next.bytes)) == "6982")
    }

    @Test("Type D password in secure messaging: plain VERIFY 69 82, lockout after 3 wrong tries")
    func typeDPassword() throws {
        var driver = try card(with: ["staff-id"])
        let staff = driver.package("staff-id")
        #expect(try driver.open(staff) == .success)
        #expect(Hex.encode(driver.send(try Hex.decode("002000810435363738")).bytes) == "6982")
        let read = try driver.protected(CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0, p2: 0, le: 256))
        #expect(read.statusWord == StatusWord(0x69, 0x82))
        for expected: UInt16 in [0x63C2, 0x63C1, 0x63C0, 0x6983] {
            let answer = try driver.protected(
                CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x81, data: Array("0000".utf8)))
            #expect(answer.statusWord == StatusWord(rawValue: expected))
        }
        let right = try driver.protected(CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x81, data: staff.password!))
        #expect(right.statusWord == StatusWord(0x69, 0x83))
    }

    @Test("Fault type_d_plain_reads: a plain READ BINARY returns the content")
    func faultPlainReads() throws {
        var profile = try loadProfile("free-area-installed")
        profile.chip.faults = [.typeDPlainReads]
        var card = EmulatedCard(profile: profile, random: SeededRandomSource(seed: [1]))
        #expect(try card.send("00A4040C07F04D594E414401") == "9000")
        let answer = try card.exchange("00B0000000")
        #expect(answer.statusWord == .success)
        #expect(Array(answer.data.prefix(3)) == [0x5F, 0x50, 0x0D])
    }

    @Test(
        "Fault reused_session_key: every session of a Type D has the same session keys",
        arguments: [
            false, true,
        ])
    func faultReusedSessionKey(faulty: Bool) throws {
        var profile = try loadProfile("free-area-installed")
        if faulty { profile.chip.faults = [.reusedSessionKey] }
        var driver = FreeAreaDriver(card: EmulatedCard(profile: profile, random: SeededRandomSource(seed: [1])))
        let evacuee = driver.package("evacuee-record")
        var keys: [SecureMessagingKeys] = []
        for _ in 0..<2 {
            let plain = try readTypeD(&driver, evacuee)
            #expect(plain.count == 16 + evacuee.initialData.count)
            keys.append(try #require(driver.session).keys)
        }
        #expect((keys[0] == keys[1]) == faulty)
    }

    @Test("Fault reused_session_key with 3des: the same data reads as the same ciphertext in two sessions")
    func faultReusedSessionKeySameCiphertext() throws {
        var profile = try loadProfile("free-area-installed")
        profile.chip.faults = [.reusedSessionKey]
        profile.freeArea!.packages = profile.freeArea!.packages.map { entry in
            var package = entry.package
            if entry.name == "evacuee-record" { package.suite = .tripleDES }
            return (entry.name, package)
        }
        var driver = FreeAreaDriver(card: EmulatedCard(profile: profile, random: SeededRandomSource(seed: [4])))
        let evacuee = driver.package("evacuee-record")
        var cryptograms: [[UInt8]] = []
        for _ in 0..<2 {
            #expect(try driver.open(evacuee) == .success)
            var host = try #require(driver.session)
            let command = try host.protect(CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0, p2: 0, le: 256))
            let raw = driver.card.process(command.bytes)
            #expect(try host.unprotect(raw).statusWord == .success)
            cryptograms.append(Array(raw.dropLast(16)))  // DO 87 only: DO 99, DO 8E and SW differ with the SSC
        }
        #expect(cryptograms[0] == cryptograms[1])
    }

    @Test("Power loss while a Type D is open: the session is gone, the AP and its data stay")
    func resetEndsAPSession() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        let evacuee = driver.package("evacuee-record")
        _ = try readTypeD(&driver, evacuee)
        var host = try #require(driver.session)
        driver.card.reset()
        let command = try host.protect(CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0, p2: 0, le: 0xC0))
        // Nothing is selected after the reset: the card OS refuses secure messaging outside the free area.
        #expect(Hex.encode(driver.card.process(command.bytes)) == "6882")
        #expect(driver.select(evacuee.aid) == .success)
        #expect(Hex.encode(driver.card.process(command.bytes)) == "6982")
        let plain = try readTypeD(&driver, evacuee)
        #expect(plain.suffix(evacuee.initialData.count) == evacuee.initialData[...])
    }
}
