import APDU
import CardCrypto
import Testing

@testable import CardEmulator

@Suite("Free area: the manager (MCAP-1)")
struct FreeAreaManagerTests {
    static let packageNames = ["library-card", "seal-registration", "point-card", "evacuee-record", "staff-id"]

    @Test("Every default package installs in each region and is selectable only once active", arguments: packageNames)
    func installEachTypeInEachRegion(name: String) throws {
        for region in FreeAreaRegion.allCases {
            var driver = FreeAreaDriver(card: try makeFreeAreaCard())
            let package = driver.package(name)
            #expect(driver.select(package.aid) == .fileNotFound)
            let id = try driver.install(package, in: region)
            #expect(UserID.isWellFormed(id))
            let installed = try #require(driver.card.freeArea?.application(aid: package.aid))
            #expect(installed.isActive && installed.userID == id)
            #expect(driver.card.freeArea?.regions[region]?.used == package.size)
            #expect(driver.select(package.aid) == .success)
        }
    }

    @Test("Selecting the manager: 00 A4 04 0C F0 4D 59 4E 41 46 41 4D 47 52 answers 90 00")
    func selectManagerBytes() throws {
        var card = try makeFreeAreaCard()
        #expect(try card.send("00A4040C0AF04D594E4146414D4752") == "9000")
        #expect(try card.send("00A4040C0AF04D594E4146414D4753") == "6A82")
    }

    @Test("Before activation SELECT answers 6A 82; activation without a user ID 69 85")
    func activationNeedsUserID() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        let package = driver.package("library-card")
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        #expect(try driver.manage(0xE0).statusWord == .success)
        #expect(try driver.load(package.encoded) == .success)
        let aid = FreeAreaDriver.aidObject(package.aid)
        #expect(try driver.manage(0x44, data: aid).statusWord == StatusWord(0x69, 0x85))
        #expect(driver.card.freeArea?.application(aid: package.aid)?.isActive == false)
        // SELECT of the AP from outside: not there yet; the manager's session is over after it.
        #expect(driver.select(package.aid) == .fileNotFound)
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        #expect(try driver.manage(0xDA, data: aid).statusWord == .success)
        #expect(try driver.manage(0xDA, data: aid).statusWord == StatusWord(0x69, 0x85))  // written once
        #expect(try driver.manage(0x44, data: aid).statusWord == .success)
        #expect(driver.select(package.aid) == .success)
    }

    @Test("Another municipality's package in the local region: 69 82 and nothing kept; the extended region takes it")
    func otherMunicipalityRefusedLocally() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        let package = driver.package("other-town-library")
        #expect(package.municipalityCode == "27100")
        _ = driver.selectManager()
        #expect(try driver.authenticate(.local) == .success)
        #expect(try driver.manage(0xE0).statusWord == .success)
        #expect(try driver.load(package.encoded) == StatusWord(0x69, 0x82))
        #expect(driver.card.freeArea?.regions[.local]?.applications.isEmpty == true)
        // A package without a municipality code is refused there too.
        var anonymous = package
        anonymous.municipalityCode = nil
        #expect(try driver.load(anonymous.encoded) == StatusWord(0x69, 0x82))
        _ = try driver.install(package, in: .extended)
        #expect(driver.card.freeArea?.regions[.extended]?.applications.count == 1)
    }

    @Test("User IDs: 13 characters of [0-9A-Z], a letter first, distinct over 100 cards, never a My Number")
    func userIDsDistinct() throws {
        let profile = try loadProfile()
        var seen: Set<[UInt8]> = []
        for index in 0..<100 {
            let card = EmulatedCard(profile: profile, random: SeededRandomSource(seed: [0x55, UInt8(index)]))
            var driver = FreeAreaDriver(card: card, seed: UInt8(index))
            let id = try driver.install(driver.package("point-card"), in: .extended)
            #expect(id.count == 13)
            #expect((0x41...0x5A).contains(id[0]))
            #expect(id.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) })
            #expect(!CardHolder.isValidMyNumber(String(decoding: id.prefix(12), as: UTF8.self)))
            #expect(!String(decoding: id, as: UTF8.self).contains(profile.holder.myNumber))
            seen.insert(id)
        }
        #expect(seen.count == 100)
    }

    @Test("User IDs are unique per AP on one card")
    func userIDsUniquePerAP() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        var ids: Set<[UInt8]> = []
        for name in Self.packageNames { ids.insert(try driver.install(driver.package(name), in: .extended)) }
        #expect(ids.count == Self.packageNames.count)
    }

    @Test("Move out erases the local region and keeps the extended one")
    func moveOut() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        let library = driver.package("library-card")
        let evacuee = driver.package("evacuee-record")
        #expect(driver.select(library.aid) == .success)
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        #expect(try driver.manage(0xEE).statusWord == StatusWord(0x69, 0x82))  // only with the local key
        #expect(try driver.authenticate(.local) == .success)
        #expect(try driver.manage(0xEE).statusWord == .success)
        #expect(driver.card.freeArea?.regions[.local] == nil)
        #expect(driver.card.freeArea?.regions[.extended]?.applications.count == 2)
        #expect(driver.select(library.aid) == .fileNotFound)
        #expect(driver.select(evacuee.aid) == .success)
        // The region is gone: a new install starts with region creation.
        _ = driver.selectManager()
        #expect(try driver.authenticate(.local) == .success)
        #expect(try driver.load(library.encoded) == StatusWord(0x69, 0x85))
    }

    @Test("Four 255-byte APs fill the local region; a fifth answers 6A 84 and nothing is kept")
    func capacityExhaustion() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        for name in ["library-card", "seal-registration", "evacuee-record", "staff-id"] {
            _ = try driver.install(driver.package(name), in: .local)
        }
        #expect(driver.card.freeArea?.regions[.local]?.used == 1020)
        _ = driver.selectManager()
        #expect(try driver.authenticate(.local) == .success)
        #expect(try driver.load(driver.package("point-card").encoded) == StatusWord(0x6A, 0x84))
        #expect(driver.card.freeArea?.regions[.local]?.applications.count == 4)
        let space = try driver.manage(0xCA, le: 256)
        #expect(Hex.encode(space.data) == "A10B80020400810203FC820104")
        // Deleting one frees its space for the next.
        #expect(
            try driver.manage(0xE4, data: FreeAreaDriver.aidObject(driver.package("staff-id").aid)).statusWord
                == .success)
        #expect(try driver.load(driver.package("point-card").encoded) == .success)
    }

    @Test("Delete: the AP and its space are freed; an AP not there answers 6A 88")
    func delete() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        let point = driver.package("point-card")
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        let aid = FreeAreaDriver.aidObject(point.aid)
        #expect(try driver.manage(0xE4, data: aid).statusWord == .success)
        #expect(try driver.manage(0xE4, data: aid).statusWord == StatusWord(0x6A, 0x88))
        // An AP of the other region is not this session's to delete.
        let library = FreeAreaDriver.aidObject(driver.package("library-card").aid)
        #expect(try driver.manage(0xE4, data: library).statusWord == StatusWord(0x6A, 0x88))
        #expect(driver.card.freeArea?.regions[.extended]?.used == 255)
        #expect(driver.select(point.aid) == .fileNotFound)
    }

    @Test("Region creation once per card: again 6A 89; an AID already on the card 6A 89")
    func alreadyThere() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        #expect(try driver.manage(0xE0).statusWord == StatusWord(0x6A, 0x89))
        #expect(try driver.load(driver.package("library-card").encoded) == StatusWord(0x6A, 0x89))  // in local
        var jpki = driver.package("point-card")
        jpki.aid = try Hex.decode(jpkiAID)
        #expect(try driver.load(jpki.encoded) == StatusWord(0x6A, 0x89))
    }

    @Test("Wrong management key: 63 00, no session; no challenge first: 69 85")
    func wrongKey() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        _ = driver.selectManager()
        #expect(try driver.authenticate(.local, keySeed: Array("NOT-THE-LOCALKEY".utf8)) == StatusWord(0x63, 0x00))
        // The local key against the extended region's reference is a wrong key too.
        #expect(
            try driver.authenticate(.extended, keySeed: driver.setting.regions[.local]!.keySeed)
                == StatusWord(0x63, 0x00))
        let data = [UInt8](repeating: 0, count: 40)
        let answer = driver.send(CommandAPDU(cla: 0x00, ins: 0x82, p1: 0x00, p2: 0x81, data: data, le: 40))
        #expect(answer.statusWord == StatusWord(0x69, 0x85))
        // Without a session, a management command answers 69 82, protected or not.
        #expect(driver.send(try Hex.decode("80E00000")).statusWord == StatusWord(0x69, 0x82))
        #expect(driver.send(try Hex.decode("8CE000000A8E080102030405060708")).statusWord == StatusWord(0x69, 0x82))
    }

    @Test("A plain management command in a session: 69 82, and the session stays")
    func plainRefused() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        #expect(driver.send(try Hex.decode("80E00000")).statusWord == StatusWord(0x69, 0x82))
        #expect(try driver.manage(0xE0).statusWord == .success)
    }

    @Test(
        "Tampered MAC: 69 88 unprotected, the session ends, later commands 69 82",
        arguments: SecureMessagingSuite.allCases)
    func tamperedMAC(suite: SecureMessagingSuite) throws {
        var profile = try loadProfile()
        profile.freeArea!.suite = suite
        var driver = FreeAreaDriver(card: EmulatedCard(profile: profile, random: SeededRandomSource(seed: [3])))
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        var host = try #require(driver.session)
        var intact = host
        var wrapped = try host.protect(CommandAPDU(cla: 0x80, ins: 0xE0, p1: 0, p2: 0)).bytes
        wrapped[wrapped.count - 2] ^= 0x01  // last MAC byte
        #expect(Hex.encode(driver.card.process(wrapped)) == "6988")
        driver.session = nil
        #expect(driver.card.freeArea?.regions[.extended] == nil)
        // The host's next correctly protected command finds no session on the card.
        let next = try intact.protect(CommandAPDU(cla: 0x80, ins: 0xE0, p1: 0, p2: 0))
        #expect(Hex.encode(driver.card.process(next.bytes)) == "6982")
        // A new authentication opens a new one.
        #expect(try driver.authenticate(.extended) == .success)
        #expect(try driver.manage(0xE0).statusWord == .success)
    }

    @Test("Replayed command (old counter): 69 88 and the session ends")
    func replay() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        #expect(try driver.manage(0xE0).statusWord == .success)
        let first = try #require(driver.sent.last)
        #expect(Hex.encode(driver.card.process(first)) == "6988")
        #expect(Hex.encode(driver.card.process(first)) == "6982")
    }

    @Test("Truncated protected APDU: 67 00 and the session ends; DOs out of order: 69 88")
    func malformedProtected() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        var host = try #require(driver.session)
        let wrapped = try host.protect(CommandAPDU(cla: 0x80, ins: 0xE0, p1: 0, p2: 0)).bytes
        #expect(Hex.encode(driver.card.process(Array(wrapped.dropLast(3)))) == "6700")
        #expect(Hex.encode(driver.card.process(wrapped)) == "6982")

        #expect(try driver.authenticate(.extended) == .success)
        host = try #require(driver.session)
        let load = try host.protect(CommandAPDU(cla: 0x80, ins: 0xE8, p1: 0x80, p2: 0, data: [0x70, 0x00], le: nil))
        // 87 … 8E … swapped to 8E … 87 …
        let objects = try BERTLV.parseAll(load.data)
        let swapped = CommandAPDU(
            cla: load.cla, ins: load.ins, p1: load.p1, p2: load.p2, data: objects.reversed().flatMap(\.encoded), le: 256
        )
        #expect(Hex.encode(driver.card.process(swapped.bytes)) == "6988")
    }

    @Test("Oversized LOAD block (224 bytes): 67 00 in the session; out-of-order block 6A 86 keeps the download")
    func oversizedAndOutOfOrder() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        let package = driver.package("evacuee-record").encoded
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        // The region is not created yet.
        #expect(
            try driver.manage(0xE8, p1: 0x00, p2: 0x00, data: Array(package.prefix(50))).statusWord
                == StatusWord(0x69, 0x85))
        #expect(try driver.manage(0xE0).statusWord == .success)
        let big = [UInt8](repeating: 0x70, count: 224)
        #expect(try driver.manage(0xE8, p1: 0x00, p2: 0x00, data: big).statusWord == StatusWord(0x67, 0x00))
        let first = Array(package.prefix(50))
        let rest = Array(package.dropFirst(50))
        #expect(try driver.manage(0xE8, p1: 0x00, p2: 0x00, data: first).statusWord == .success)
        #expect(try driver.manage(0xE8, p1: 0x80, p2: 0x02, data: rest).statusWord == StatusWord(0x6A, 0x86))
        #expect(try driver.manage(0xE8, p1: 0x80, p2: 0x01, data: rest).statusWord == .success)
        #expect(driver.card.freeArea?.regions[.extended]?.applications.count == 1)
    }

    @Test("Malformed packages: 6A 80 and nothing kept")
    func malformedPackage() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard())
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        #expect(try driver.manage(0xE0).statusWord == .success)
        let good = driver.package("library-card")
        var wrongSize = good.encoded
        wrongSize[wrongSize.firstIndex(of: 0x81)! + 3] = 0xFE  // 81 02 00 FF -> 00 FE
        var badKey = good
        badKey.keySeed = [1, 2, 3]
        let reordered = BERTLV(
            tag: BERTag(0x70),
            children: try BERTLV.parseAll(
                BERTLV.parseFirst(good.encoded).tlv.value
            ).reversed()
        ).encoded
        for bytes in [[0x71, 0x00], good.encoded + [0x00], wrongSize, badKey.encoded, reordered] {
            #expect(try driver.load(bytes) == StatusWord(0x6A, 0x80))
        }
        #expect(driver.card.freeArea?.regions[.extended]?.applications.isEmpty == true)
    }

    @Test("Power loss mid-download: the partial package is gone, earlier APs and the region stay")
    func powerLossMidDownload() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        let staff = driver.package("staff-id").encoded
        #expect(staff.count > 40)
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        #expect(try driver.manage(0xE8, p1: 0x00, p2: 0x00, data: Array(staff.prefix(40))).statusWord == .success)
        driver.card.reset()
        driver.session = nil
        #expect(driver.card.freeArea?.manager.download == nil)
        // Continuing the download after the reset: no session, then no download to continue.
        _ = driver.selectManager()
        #expect(try driver.authenticate(.extended) == .success)
        #expect(
            try driver.manage(0xE8, p1: 0x80, p2: 0x01, data: Array(staff.dropFirst(40))).statusWord
                == StatusWord(0x6A, 0x86))
        #expect(
            driver.card.freeArea?.regions[.extended]?.applications.map(\.aid) == [
                driver.package("evacuee-record").aid, driver.package("point-card").aid,
            ])
        // Earlier APs read as before.
        let point = driver.package("point-card")
        #expect(driver.select(point.aid) == .success)
        let read = driver.send(try Hex.decode("00B0000000"))
        #expect(read.statusWord == .success && read.data.count == 33)
        // And the interrupted package installs from the start.
        _ = try driver.install(driver.package("staff-id"), in: .extended)
    }

    @Test("INS bytes come from the profile: a vendor's create-region at D0")
    func instructionsFromProfile() throws {
        var profile = try loadProfile()
        profile.freeArea!.instructions.createRegion = 0xD0
        var driver = FreeAreaDriver(card: EmulatedCard(profile: profile, random: SeededRandomSource(seed: [9])))
        _ = driver.selectManager()
        #expect(try driver.authenticate(.local) == .success)
        #expect(try driver.manage(0xE0).statusWord == StatusWord(0x6D, 0x00))
        #expect(try driver.manage(0xD0).statusWord == .success)
    }

    @Test("Fault user_id_is_my_number: the user ID is the My Number and 0")
    func faultUserIDIsMyNumber() throws {
        var profile = try loadProfile()
        profile.chip.faults = [.userIDIsMyNumber]
        var driver = FreeAreaDriver(card: EmulatedCard(profile: profile, random: SeededRandomSource(seed: [9])))
        let id = try driver.install(driver.package("point-card"), in: .extended)
        #expect(String(decoding: id, as: UTF8.self) == profile.holder.myNumber + "0")
    }

    @Test("Fault move_out_keeps_local: 90 00 and the local region stays")
    func faultMoveOutKeepsLocal() throws {
        var profile = try loadProfile("free-area-installed")
        profile.chip.faults = [.moveOutKeepsLocal]
        var driver = FreeAreaDriver(card: EmulatedCard(profile: profile, random: SeededRandomSource(seed: [9])))
        _ = driver.selectManager()
        #expect(try driver.authenticate(.local) == .success)
        #expect(try driver.manage(0xEE).statusWord == .success)
        #expect(driver.card.freeArea?.regions[.local]?.applications.count == 1)
    }

    @Test("Restore (the virtual reader's FF EE pseudo-APDU keeps the card as made): the profile's free area again")
    func restoreIsTheProfileState() throws {
        let initial = try makeFreeAreaCard("free-area-installed")
        var driver = FreeAreaDriver(card: initial)
        _ = try driver.install(driver.package("staff-id"), in: .extended)
        _ = driver.selectManager()
        #expect(try driver.authenticate(.local) == .success)
        #expect(try driver.manage(0xEE).statusWord == .success)
        #expect(driver.card.freeArea?.applications.count == 3)
        driver.card = initial  // what VirtualCardSlot.restore() does
        #expect(driver.card.freeArea?.applications.map(\.application.package.kind) == [.typeA, .typeD, .typeC])
    }

    @Test("free_area: none removes the free area: the manager answers 6A 82")
    func noneRemoves() throws {
        var profile = try loadProfile()
        profile.freeArea = nil
        var card = EmulatedCard(profile: profile)
        #expect(try card.send("00A4040C0AF04D594E4146414D4752") == "6A82")
    }
}
