import APDU
import CardCrypto
import Foundation
import TestSupport
import Testing
import YAMLSource

@testable import CardEmulator

@Suite("Free area: profiles, card variables, timing")
struct FreeAreaProfileTests {
    @Test("Every committed profile gets the default free area; free-area-installed has both regions and three APs")
    func defaults() throws {
        let profile = try loadProfile()
        let setting = try #require(profile.freeArea)
        #expect(Hex.encode(setting.managerAID) == "F04D594E4146414D4752")
        #expect(setting.suite == .aes128)
        #expect(setting.regions[.local]?.capacity == 1024 && setting.regions[.extended]?.capacity == 2048)
        #expect(
            setting.packages.map(\.name) == [
                "library-card", "seal-registration", "other-town-library", "point-card", "evacuee-record", "staff-id",
            ])
        #expect(setting.created.isEmpty && setting.installed.isEmpty)
        #expect(setting.package(named: "library-card")?.municipalityCode == "13101")
        // The second card's holder lives elsewhere: its packages carry its own municipality.
        #expect(try loadProfile("second-card").freeArea?.package(named: "point-card")?.municipalityCode == "27127")

        let installed = try #require(try loadProfile("free-area-installed").freeArea)
        #expect(installed.created == [.local, .extended])
        let card = EmulatedCard(profile: try loadProfile("free-area-installed"))
        #expect(card.freeArea?.regions[.local]?.applications.map(\.package.kind) == [.typeA])
        #expect(card.freeArea?.regions[.extended]?.applications.map(\.package.kind) == [.typeD, .typeC])
        #expect(card.freeArea?.applications.allSatisfy { $0.application.isActive } == true)
    }

    @Test("A package's TLV, byte for byte (Type C point-card)")
    func packageBytes() throws {
        let point = try #require(try loadProfile().freeArea?.package(named: "point-card"))
        #expect(
            Hex.encode(point.encoded)
                == "70" + "2A" + "800143" + "4F07F04D594E414301" + "81020021" + "87053133313031"
                + "8611C1055030303031C20432303236C3020064")
        #expect(try CardAPPackage(decoding: point.encoded) == point)
        for name in ["library-card", "seal-registration", "evacuee-record", "staff-id"] {
            let package = try #require(try loadProfile().freeArea?.package(named: name))
            #expect(try CardAPPackage(decoding: package.encoded) == package)
        }
    }

    @Test("Card variables: manager AID, suite, region keys, each package's TLV, AID, key, suite, password")
    func cardVariables() throws {
        let values = try #require(try loadProfile().freeArea?.cardVariables)
        #expect(values["card.free_area.manager_aid"] == "F04D594E4146414D4752")
        #expect(values["card.free_area.suite"] == "aes128")
        #expect(values["card.free_area.local.key"] == "4D594E41434F4E462D4C4F43414C3031")
        #expect(values["card.free_area.extended.key"] == "4D594E41434F4E462D455854454E4431")
        #expect(values["card.free_area.packages.staff-id.suite"] == "3des")
        #expect(values["card.free_area.packages.staff-id.password"] == "5678")
        #expect(values["card.free_area.packages.staff-id.aid"] == "F04D594E414402")
        #expect(values["card.free_area.packages.staff-id.key"] == "53544146462D49442D434152442D4B31")
        #expect(values["card.free_area.packages.point-card.key"] == nil)
        #expect(values["card.free_area.packages.point-card"]?.hasPrefix("702A800143") == true)
    }

    @Test("free_area.timing: reference gives the seed's figures; timing.commands still wins")
    func timingModels() throws {
        let fast = try loadProfile().timing
        #expect(fast.processing[.createRegion] == .milliseconds(10))
        let create = try Hex.decode("8CE000000A8E080102030405060708")
        #expect(CardTiming.CommandKind(command: create) == .createRegion)
        #expect(CardTiming.CommandKind(command: try Hex.decode("8CE880010A8E080102030405060708")) == .loadLast)
        #expect(CardTiming.CommandKind(command: try Hex.decode("8CE800010A8E080102030405060708")) == .load)
        #expect(CardTiming.CommandKind(command: try Hex.decode("00820080")) == .mutualAuthenticate)

        let (path, _) = try variant(
            "free_area:\n", "timing:\n  commands: { load: 1234 }\nfree_area:\n  timing: reference\n")
        defer { remove(path) }
        let reference = try CardProfile.load(path: path).timing
        #expect(reference.processing[.createRegion] == .seconds(60))
        #expect(reference.processing[.loadLast] == .seconds(30))
        #expect(reference.processing[.load] == .milliseconds(1234))
        let latency = reference.latency(command: create, responseLength: 16, interface: .contact)
        #expect(latency > .seconds(60) && latency < .seconds(61))
    }

    @Test(
        "Bad free_area values are file:line:column errors",
        arguments: [
            ("created: [local, extended]", "created: [local, middle]", "'middle' is not one of: local, extended"),
            ("user_id: L7Q2M9X4C1B8Z", "user_id: L7Q2M9X4C1B8", "a user ID is 13 characters"),
            // 13 digits: the first character must be a letter, so a user ID is never a My Number.
            ("user_id: L7Q2M9X4C1B8Z", "user_id: \"1234567890123\"", "the first a letter"),
            ("package: point-card", "package: pointcard", "no package 'pointcard'"),
            ("free_area:\n", "free_area:\n  suite: aes256\n", "'aes256' is not one of: 3des, aes128"),
            ("free_area:\n", "free_area:\n  manager_aid: F0 4D\n", "an AID is 5 to 16 bytes"),
            ("free_area:\n", "free_area:\n  regions: { local: { key: 0011 } }\n", "a key is 16 bytes"),
            ("free_area:\n", "free_area:\n  regions: { local: { capacity: -1 } }\n", "out of range 0...65535"),
            ("free_area:\n", "free_area:\n  commands: { load: E0 }\n", "would both be INS E0"),
            ("free_area:\n", "free_area:\n  commands: { load: 6A }\n", "procedure bytes"),
            ("free_area:\n", "free_area:\n  timing: slow\n", "'slow' is not one of: fast, reference"),
            ("free_area:\n", "free_area:\n  colour: red\n", "unknown key 'colour'"),
            (
                "free_area:\n", "free_area:\n  packages: { x: { type: B, aid: F0 01 02 03 04 } }\n",
                "'B' is not one of: A, C, D"
            ),
            (
                "free_area:\n", "free_area:\n  packages: { x: { type: A, aid: F0 01 02 03 04, suite: aes128 } }\n",
                "missing key 'key'"
            ),
            (
                "free_area:\n", "free_area:\n  packages: { x: { type: C, aid: F0 01 02 03 04, key: 00 } }\n",
                "a Type C has no key"
            ),
            (
                "free_area:\n", "free_area:\n  packages: { x: { type: C, aid: F0 01 02 03 04, municipality: 1310 } }\n",
                "not a 5-digit municipality code"
            ),
            (
                "free_area:\n",
                "free_area:\n  packages: { x: { type: C, aid: F0 01 02 03 04, data: \"0123456789ABCDEFGH\" } }\n",
                "a Type C holds 17 bytes of its own, not 18"
            ),
            (
                "free_area:\n",
                "free_area:\n  packages: { Big: { type: C, aid: F0 01 02 03 04 } }\n",
                "not a package name"
            ),
            (
                "free_area:\n",
                "free_area:\n  packages: { x: { type: D, aid: F0 01 02 03 04, suite: aes128, key: 00112233445566778899AABBCCDDEEFF, password: \"12\" } }\n",
                "a password is 4 to 16 printable ASCII characters"
            ),
        ])
    func badValues(find: String, replace: String, words: String) throws {
        let (path, line) = try variant(find, replace)
        defer { remove(path) }
        do {
            _ = try CardProfile.load(path: path)
            Issue.record("no error for \(replace)")
        } catch {
            #expect(error.location?.file == path)
            // The error is on the line changed or the one the change added below it.
            #expect((line...(line + 1)).contains(error.location?.line ?? 0), "\(error)")
            #expect((error.location?.column ?? 0) >= 1)
            #expect(error.description.contains(words), "\(error)")
        }
    }

    @Test("An installed AP of another municipality in the local region, or one too many, is refused at load")
    func installedChecked() throws {
        let (path, line) = try variant(
            "{ package: library-card, region: local", "{ package: other-town-library, region: local")
        defer { remove(path) }
        #expect(throws: Diagnostic.self) { try CardProfile.load(path: path) }
        do {
            _ = try CardProfile.load(path: path)
        } catch {
            #expect(error.location?.line == line)
            #expect(error.message.contains("municipality 27100"), "\(error)")
        }
    }

    @Test("free_area: none makes a card without one")
    func none() throws {
        let text = try String(contentsOfFile: profilePath("free-area-installed"), encoding: .utf8)
        let section = String(text[text.range(of: "free_area:\n")!.lowerBound...])
        let (path, _) = try variant(section, "free_area: none\n")
        defer { remove(path) }
        #expect(try CardProfile.load(path: path).freeArea == nil)
    }

    /// free-area-installed.yaml with one piece of text replaced, in a private copy of the Vectors layout.
    func variant(_ find: String, _ replace: String) throws -> (path: String, line: Int) {
        let text = try String(contentsOfFile: profilePath("free-area-installed"), encoding: .utf8)
        #expect(text.contains(find))
        let changed = text.replacingOccurrences(of: find, with: replace)
        let marker = replace.components(separatedBy: "\n").first { !$0.isEmpty && $0 != "free_area:" } ?? replace
        let line = changed.components(separatedBy: "\n").lastIndex { $0.contains(marker) }! + 1
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("cards"), withIntermediateDirectories: true)
        for shared in ["keys", "cards/images", "revocation"] {
            try FileManager.default.createSymbolicLink(
                atPath: directory.appendingPathComponent(shared).path,
                withDestinationPath: "\(repositoryRoot)/Vectors/\(shared)")
        }
        let path = directory.appendingPathComponent("cards/variant.yaml").path
        try changed.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, line)
    }

    func remove(_ path: String) {
        try? FileManager.default.removeItem(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path)
    }
}
