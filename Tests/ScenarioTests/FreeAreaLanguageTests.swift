import APDU
import Testing
import YAMLSource

@testable import Scenario

@Suite("The free area's steps and secure messaging in the scenario language")
struct FreeAreaLanguageTests {
    @Test("install_ap, mutual_authenticate, delete_ap and move_out read with their defaults")
    func steps() throws {
        let (scenario, problems) = parse(
            """
            id: S
            title: t
            steps:
              - install_ap:
                  region: local
                  key: "${card.free_area.local.key}"
                  package: "${card.free_area.packages.library-card}"
                  budgets_ms: { download: 2000, install: 9000 }
                capture: uid
              - mutual_authenticate: { key: 00112233445566778899AABBCCDDEEFF, suite: 3des, region: extended }
              - apdu: 00 B0 00 00 00
                tamper: mac
                expect: { sw: "6988" }
              - apdu: 00 B0 00 00 00
                replay: previous
              - read_record: { record: 1 }
                secure: false
              - delete_ap: { region: extended, key: "${card.free_area.extended.key}", aid: F0 4D 59 4E 41 41 01 }
              - move_out: { key: "${card.free_area.local.key}" }
            """)
        #expect(problems.isEmpty, "\(problems)")
        let steps = try #require(scenario?.steps)
        guard case .installAP(let spec) = steps[0].action else {
            Issue.record("not install_ap")
            return
        }
        #expect(spec.session.region == .local && spec.session.suite == .aes128)
        #expect(spec.blockSize == 223 && spec.createRegion == .auto)
        #expect(spec.budgets == [.download: 2000, .install: 9000])
        #expect(Hex.encode(try Hex.decode(spec.session.manager.text)) == "F04D594E4146414D4752")
        guard case .mutualAuthenticate(let setup) = steps[1].action else {
            Issue.record("not mutual_auth")
            return
        }
        #expect(setup.reference == 0x82 && setup.suite == .tripleDES && setup.protect == .all)
        #expect(steps[2].protection.tamper == .mac)
        #expect(steps[3].protection.replayPrevious)
        #expect(steps[4].protection.secure == false)
        guard case .moveOut(let session) = steps[6].action else {
            Issue.record("not move_out")
            return
        }
        #expect(session.region == .local)
    }

    @Test("Mistakes are reported where they are, all at once")
    func mistakes() {
        let (_, problems) = parse(
            """
            id: S
            title: t
            steps:
              - mutual_authenticate: { key: 0011, suite: aes256 }
              - install_ap: { region: abroad, key: "${card.free_area.local.key}", package: 70 00, block_size: 224 }
              - select: jpki
                tamper: mac
              - apdu: 00 B0 00 00 00
                tamper: mac
                replay: previous
              - read_record: { record: 1 }
                replay: previous
              - wait: 10
                secure: true
              - apdu: "${card.free_area.packages.x.pin}"
            """)
        let messages = problems.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0): \($0.message)" }
        #expect(messages.contains { $0.hasPrefix("4:33:") && $0.contains("16 bytes") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("4:46:") && $0.contains("'aes256' is not one of: aes128, 3des") })
        #expect(messages.contains { $0.hasPrefix("5:27:") && $0.contains("'abroad' is not one of: local, extended") })
        #expect(messages.contains { $0.hasPrefix("5:99:") && $0.contains("out of range 1...223") })
        #expect(messages.contains { $0.hasPrefix("7:13:") && $0.contains("raw apdu step only") })
        #expect(messages.contains { $0.hasPrefix("10:13:") && $0.contains("either tamper or replay") })
        #expect(messages.contains { $0.hasPrefix("12:13:") && $0.contains("raw apdu step only") })
        #expect(messages.contains { $0.hasPrefix("14:13:") && $0.contains("secure applies to steps") })
        #expect(messages.contains { $0.contains("unknown variable 'card.free_area.packages.x.pin'") })
    }

    @Test("session_keys: fresh belongs on mutual_authenticate; anywhere else, or another value, is an error")
    func sessionKeysFresh() throws {
        let (scenario, accepted) = parse(
            """
            id: S
            title: t
            steps:
              - mutual_authenticate: { key: 000102030405060708090A0B0C0D0E0F, suite: aes128 }
                expect: { session_keys: fresh }
            """)
        #expect(accepted.isEmpty, "\(accepted)")
        #expect(try #require(scenario).steps[0].expect.sessionKeysFresh)
        let (_, problems) = parse(
            """
            id: S
            title: t
            steps:
              - apdu: 00 B0 00 00 00
                expect: { session_keys: fresh }
              - mutual_authenticate: { key: 000102030405060708090A0B0C0D0E0F, suite: aes128 }
                expect: { session_keys: reused }
              - wait: 1
                expect: { session_keys: fresh }
            """)
        let messages = problems.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0): \($0.message)" }
        #expect(
            messages.contains { $0.hasPrefix("5:15:") && $0.contains("session_keys applies to mutual_authenticate") },
            "\(messages)")
        #expect(messages.contains { $0.hasPrefix("7:29:") && $0.contains("'reused' is not one of: fresh") })
        #expect(messages.contains { $0.hasPrefix("9:15:") && $0.contains("'session_keys' does not apply to wait") })
        #expect(messages.count == 3, "one problem each: \(messages)")
    }

    @Test("commands: INS overrides follow the profile's rule: no procedure bytes, no INS twice, file:line:column")
    func commandOverrides() {
        let (_, problems) = parse(
            """
            id: S
            title: t
            steps:
              - install_ap: { region: local, key: 00112233445566778899AABBCCDDEEFF, package: 70 00, commands: { load: 6A } }
              - delete_ap: { region: local, key: 00112233445566778899AABBCCDDEEFF, aid: F0 01 02 03 04, commands: { delete: 9F } }
              - move_out: { key: 00112233445566778899AABBCCDDEEFF, commands: { load: E0 } }
              - install_ap: { region: local, key: 00112233445566778899AABBCCDDEEFF, package: 70 00, commands: { activate: A4 } }
            """)
        let messages = problems.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0): \($0.message)" }
        #expect(messages.contains { $0.hasPrefix("4:107:") && $0.contains("INS 6A is invalid (6x and 9x") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("5:113:") && $0.contains("INS 9F is invalid") }, "\(messages)")
        #expect(
            messages.contains { $0.hasPrefix("6:74:") && $0.contains("load and create_region would both be INS E0") },
            "\(messages)")
        #expect(messages.contains { $0.hasPrefix("7:111:") && $0.contains("SELECT in the manager") }, "\(messages)")
    }

    @Test("Free-area keys, passwords and packages are secret; AIDs and the suite are not")
    func secrets() {
        #expect(ScenarioLanguage.isSecretCardVariable("card.free_area.local.key"))
        #expect(ScenarioLanguage.isSecretCardVariable("card.free_area.packages.staff-id.password"))
        #expect(ScenarioLanguage.isSecretCardVariable("card.free_area.packages.staff-id"))
        #expect(ScenarioLanguage.isSecretCardVariable("card.pins.auth"))
        #expect(!ScenarioLanguage.isSecretCardVariable("card.free_area.packages.staff-id.aid"))
        #expect(!ScenarioLanguage.isSecretCardVariable("card.free_area.suite"))
    }
}
