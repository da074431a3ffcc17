import APDU
import CardCrypto
import CardEmulator
import Foundation
import Scenario
import TestSupport
import Testing
import Transport

@testable import Runner

/// Runs a scenario on the default card (or another of `Vectors/cards/`, or a profile by path) with the free area's
/// card variables (the MCAP-1 profile, an assumption).
private func runFreeArea(_ steps: String, card: String = "default") async throws -> ScenarioResult {
    let parser = ScenarioParser()
    let text = "id: FA\ntitle: free area\nsteps:\n" + steps
    let scenario = try #require(parser.parse(file: "Scenarios/test/t.yaml", text: text), "\(parser.diagnostics)")
    #expect(parser.diagnostics.isEmpty, "\(parser.diagnostics)")
    let profile = try CardProfile.load(
        path: card.hasPrefix("/") ? card : "\(repositoryRoot)/Vectors/cards/\(card).yaml")
    var store = variables(profile)
    store.card.merge(profile.freeArea?.cardVariables ?? [:]) { current, _ in current }
    var execution = ScenarioExecution(
        channel: EmulatedChannel(card: EmulatedCard(profile: profile)), variables: store, asOf: profile.asOf,
        random: SeededRandomSource(seed: 8))
    return await execution.run(scenario)
}

private let installTypeD = """
      - install_ap:
          region: extended
          key: "${card.free_area.extended.key}"
          package: "${card.free_area.packages.evacuee-record}"
        capture: user_id
      - select: "${card.free_area.packages.evacuee-record.aid}"
      - mutual_authenticate: { key: "${card.free_area.packages.evacuee-record.key}", suite: aes128 }

    """

@Suite("Secure messaging and the free-area installer, run on the emulated card")
struct FreeAreaStepTests {
    @Test("A protected read: wire bytes 0C B0 … 97 01 00 8E 08 …, the plain meaning beside them, data decrypted")
    func protectedRead() async throws {
        let result = try await runFreeArea(
            installTypeD + """
                  - apdu: 00 B0 00 00 00
                    expect: { data_prefix: "5F 50 0D ${user_id}" }
                """)
        #expect(result.outcome == .passed, "\(result.outcome)")
        let read = try #require(result.transcript.last)
        // Le 00 (256) could bring back more than 256 protected bytes, so the protected command is extended.
        #expect(read.command.hasPrefix("0C B0 00 00 00 00 0D 97 01 00 8E 08 "), "\(read.command)")
        #expect(read.command.hasSuffix(" 00 00"))
        #expect(read.plainCommand == "00 B0 00 00 00 (protected)")
        #expect(read.plainResponse?.hasPrefix("5F 50 0D ") == true)
        #expect(read.plainResponse?.hasSuffix(" 90 00") == true)
        #expect(read.response.hasPrefix("87 "), "\(read.response)")
        // GET CHALLENGE and MUTUAL AUTHENTICATE go plain.
        let authentication = result.transcript.filter { $0.command.hasPrefix("00 82 00 80 28 ") }
        #expect(authentication.count == 1 && authentication[0].plainCommand == nil)
        let names = result.timings.map(\.name)
        for phase in ["authentication", "region_creation", "download", "user_id", "activation", "install"] {
            #expect(names.contains("install_ap \(phase) @ Scenarios/test/t.yaml:4:5"), "\(names)")
        }
        #expect(names.contains("mutual_authenticate @ Scenarios/test/t.yaml:10:5"))
        #expect(names.contains("protected read @ Scenarios/test/t.yaml:11:5"))
    }

    @Test(
        "LOAD blocks: protected on the wire as 8C E8, the package (it carries the AP's key) masked in the plain meaning"
    )
    func loadMasked() async throws {
        let result = try await runFreeArea(
            installTypeD.replacingOccurrences(of: "capture:", with: "  block_size: 64\n    capture:"))
        #expect(result.outcome == .passed, "\(result.outcome)")
        let loads = result.transcript.filter { $0.command.hasPrefix("8C E8 ") }
        #expect(loads.count >= 2)
        #expect(loads.first?.plainCommand == "80 E8 00 00 40 ******** (protected)")
        #expect(loads.last?.plainCommand?.hasPrefix("80 E8 80 0\(loads.count - 1) ") == true)
        let key = try #require(
            try defaultProfile().freeArea?.cardVariables["card.free_area.packages.evacuee-record.key"])
        let everything = result.transcript.map { "\($0.command) \($0.plainCommand ?? "")" }.joined(separator: " ")
        #expect(!everything.replacingOccurrences(of: " ", with: "").contains(key))
    }

    @Test("A tampered MAC answers 6988; the card has ended its session, so a correct command answers 6982")
    func tamperedMAC() async throws {
        let result = try await runFreeArea(
            installTypeD + """
                  - apdu: 00 B0 00 00 00
                    tamper: mac
                    expect: { sw: "6988" }
                  - apdu: 00 B0 00 00 00
                    expect: { sw: "6982" }
                  - mutual_authenticate: { key: "${card.free_area.packages.evacuee-record.key}", suite: aes128 }
                  - apdu: 00 B0 00 00 05
                  - apdu: 00 B0 00 00 05
                    replay: previous
                    expect: { sw: "6988" }
                """)
        #expect(result.outcome == .passed, "\(result.outcome)")
        let replayed = result.transcript.suffix(2).map(\.command)
        #expect(replayed[0] == replayed[1], "a replay sends the same bytes")
        #expect(result.transcript.last?.plainCommand == "00 B0 00 00 05 (replayed)")
    }

    @Test(
        "session_keys: fresh catches a card that reuses its session keys, in both suites (with aes128 the ciphertext still differs)",
        arguments: ["aes128", "3des"])
    func reusedSessionKeys(suite: String) async throws {
        let package = suite == "aes128" ? "evacuee-record" : "staff-id"
        let authenticate =
            [
                "  - select: \"${card.free_area.packages.\(package).aid}\"",
                "  - mutual_authenticate: { key: \"${card.free_area.packages.\(package).key}\", suite: \(suite) }",
                "    expect: { session_keys: fresh }",
            ].joined(separator: "\n") + "\n"
        let steps =
            installTypeD.replacingOccurrences(of: "evacuee-record", with: package)
            .replacingOccurrences(of: "suite: aes128", with: "suite: \(suite)") + authenticate + authenticate
        let conforming = try await runFreeArea(steps)
        #expect(conforming.outcome == .passed, "\(conforming.outcome)")

        let faulty = try await runFreeArea(steps, card: "faulty/reused-session-key")
        guard case .failed(let failure) = faulty.outcome else {
            Issue.record("a card with reused session keys passed: \(faulty.outcome)")
            return
        }
        // The first repeat is caught, at the second authentication, and names where the keys were first seen.
        #expect(failure.location == "Scenarios/test/t.yaml:12:5", "\(failure)")
        #expect(
            failure.message.contains("the same session keys as in the session opened at Scenarios/test/t.yaml:10:5"))
        #expect(failure.actual == "the session keys of Scenarios/test/t.yaml:10:5")
        // Without the expectation the same card goes unnoticed: the check is what catches it.
        let unchecked = try await runFreeArea(
            steps.replacingOccurrences(of: "expect: { session_keys: fresh }", with: "expect: { sw: \"9000\" }"),
            card: "faulty/reused-session-key")
        #expect(unchecked.outcome == .passed, "\(unchecked.outcome)")
    }

    @Test("The installer steps speak the card profile's manager AID and INS bytes; a step's commands: still wins")
    func vendorBytes() async throws {
        // A vendor's profile: its own manager AID, and INS bytes rotated so each MCAP-1 byte means another command.
        let vendor = "\(repositoryRoot)/Tests/MynaconfTests/Fixtures/cards/vendor-free-area.yaml"
        let result = try await runFreeArea(installTypeD, card: vendor)
        #expect(result.outcome == .passed, "\(result.outcome)")
        let select = result.transcript.first { $0.command.hasPrefix("00 A4 04 0C 0A ") }
        #expect(select?.command == "00 A4 04 0C 0A F0 56 45 4E 44 4F 52 4D 47 52", "the profile's manager AID")
        let plain = result.transcript.compactMap(\.plainCommand)
        #expect(plain.contains { $0.hasPrefix("80 E0 ") }, "LOAD is the profile's E0, not MCAP-1's E8: \(plain)")
        #expect(plain.contains { $0.hasPrefix("80 E8 00 00 ") }, "WRITE USER ID is the profile's E8: \(plain)")

        // Bytes the step writes are sent as written, whatever the profile says: this card then refuses the install.
        let overridden = try await runFreeArea(
            installTypeD.replacingOccurrences(
                of: "    capture: user_id", with: "      commands: { load: 3E }\n    capture: user_id"),
            card: vendor)
        #expect(overridden.outcome != .passed)
        #expect(overridden.transcript.compactMap(\.plainCommand).contains { $0.hasPrefix("80 3E ") })
    }

    @Test("secure: true with no session is an error that says how to open one")
    func secureWithoutSession() async throws {
        let result = try await runFreeArea("  - apdu: 00 B0 00 00 00\n    secure: true\n")
        guard case .error(let failure) = result.outcome else {
            Issue.record("expected an error, got \(result.outcome)")
            return
        }
        #expect(failure.message.contains("a mutual_authenticate step opens one"))
    }

    @Test("An install the card refuses: the answer is the step's, and the failure names the exchange")
    func refusedInstall() async throws {
        let expected = try await runFreeArea(
            """
              - install_ap:
                  region: local
                  key: "${card.free_area.local.key}"
                  package: "${card.free_area.packages.other-town-library}"
                expect: { sw: "6982" }
            """)
        #expect(expected.outcome == .passed, "\(expected.outcome)")
        let unexpected = try await runFreeArea(
            """
              - install_ap:
                  region: local
                  key: "${card.free_area.local.key}"
                  package: "${card.free_area.packages.other-town-library}"
            """)
        guard case .failed(let failure) = unexpected.outcome else {
            Issue.record("expected a failure, got \(unexpected.outcome)")
            return
        }
        #expect(
            failure.message
                == "install_ap: LOAD block 2 of 2: unexpected status word 6982 (security status not satisfied)"
                || failure.message.hasPrefix("install_ap: LOAD block"), "\(failure.message)")
    }

    @Test("commands: the INS bytes are data; a card that does not know the one given answers 6D00 at that exchange")
    func commandOverrides() async throws {
        let result = try await runFreeArea(
            """
              - install_ap:
                  region: extended
                  key: "${card.free_area.extended.key}"
                  package: "${card.free_area.packages.point-card}"
                  commands: { create_region: E0, load: E9 }
                expect: { sw: 6D00 }
            """)
        #expect(result.outcome == .passed, "\(result.outcome)")
        #expect(
            result.transcript.last?.command.hasPrefix("8C E9 80 00 ") == true,
            "\(result.transcript.last?.command ?? "")")
    }

    @Test("A phase over its budget fails the step and names the phase")
    func phaseBudget() async throws {
        let result = try await runFreeArea(
            """
              - install_ap:
                  region: extended
                  key: "${card.free_area.extended.key}"
                  package: "${card.free_area.packages.point-card}"
                  budgets_ms: { download: 0 }
            """)
        guard case .failed(let failure) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(failure.message == "install_ap: the download phase is over its budget")
        #expect(failure.expected == "at most 0.000 ms")
        let timing = try #require(result.timings.first { $0.name.hasPrefix("install_ap download") })
        #expect(timing.maxBudget == .zero)
    }
}

@Suite("lint's static checks of the free-area steps")
struct FreeAreaStaticCheckTests {
    @Test("A protected step before any mutual_authenticate, a package that is not 70, a short key seed")
    func staticChecks() throws {
        let parser = ScenarioParser()
        let text = """
            id: S
            title: t
            steps:
              - apdu: 00 B0 00 00 00
                secure: true
              - install_ap: { region: local, key: "${card.free_area.local.key}", package: 71 00 }
              - mutual_authenticate: { key: "${card.free_area.packages.library-card.aid}" }
              - apdu: 00 B0 00 00 00
                tamper: mac
            """
        let scenario = try #require(parser.parse(file: "t.yaml", text: text))
        let profile = try defaultProfile()
        var store = variables(profile)
        store.card.merge(profile.freeArea?.cardVariables ?? [:]) { current, _ in current }
        let found = StaticChecks.diagnostics(for: [scenario], variables: store).map {
            "\($0.location?.line ?? 0):\($0.location?.column ?? 0): \($0.message)"
        }
        #expect(
            found == [
                "4:5: this step is sent in secure messaging, but no mutual_authenticate step comes before it",
                "6:79: the package is not a BER-TLV 70 object (MCAP-1's AP package)",
                "7:34: a key seed is 16 bytes; this one is 7",
            ])
    }
}
