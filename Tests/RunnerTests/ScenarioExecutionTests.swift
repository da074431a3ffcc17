import APDU
import CardCrypto
import CardEmulator
import Foundation
import Scenario
import TestSupport
import Testing
import Transport
import YAMLSource

@testable import Runner

func defaultProfile() throws -> CardProfile {
    try CardProfile.load(path: "\(repositoryRoot)/Vectors/cards/default.yaml")
}

func variables(_ profile: CardProfile, environment: [String: String] = [:]) -> VariableStore {
    var card = ["card.as_of": profile.asOf.description, "card.holder.my_number": profile.holder.myNumber]
    for (name, pin) in profile.pins { card["card.pins.\(name)"] = pin.value }
    return VariableStore(card: card, environment: environment)
}

/// Parses a scenario and runs it on a fresh emulated card.
func run(_ yaml: String, environment: [String: String] = [:]) async throws -> ScenarioResult {
    let parser = ScenarioParser()
    let scenario = try #require(parser.parse(file: "Scenarios/test/t.yaml", text: yaml), "\(parser.diagnostics)")
    #expect(parser.diagnostics.isEmpty, "\(parser.diagnostics)")
    let profile = try defaultProfile()
    var execution = ScenarioExecution(
        channel: EmulatedChannel(card: EmulatedCard(profile: profile)),
        variables: variables(profile, environment: environment),
        asOf: profile.asOf, random: SeededRandomSource(seed: 3))
    return await execution.run(scenario)
}

@Suite("Running scenarios on the emulated card")
struct ScenarioExecutionTests {
    @Test("A passing scenario: outcome, suite, transcript of every APDU")
    func passing() async throws {
        let result = try await run(
            """
            id: OK
            title: select and read
            requirement: JPKI-AP-01
            steps:
              - select: jpki
              - select: { ef: "0008" }
              - apdu: 00 B0 00 00 00
                expect: { data: 8F 8F 00, length: 3, data_regex: "^8F8F00$" }
            """)
        #expect(result.outcome == .passed)
        #expect(result.suite == "test")
        #expect(result.requirements == ["JPKI-AP-01"])
        #expect(
            result.transcript.map(\.command) == [
                "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", "00 A4 02 0C 02 00 08", "00 B0 00 00 00",
            ])
        #expect(result.transcript.last?.response == "8F 8F 00 90 00")
        #expect(result.transcript.last?.step == "Scenarios/test/t.yaml:7:5")
    }

    @Test(
        "A wrong PIN or password (63 Cx) fails a scenario not marked destructive, naming the fix; marked, it passes",
        arguments: [("0018", "9999", "63 C2"), ("001B", "WRONG1", "63 C4")])
    func unmarkedSpentTry(ef: String, wrong: String, answer: String) async throws {
        let scenario = """
            id: T
            title: t
            steps:
              - select: jpki
              - verify: { ef: "\(ef)", pin: "\(wrong)" }
                expect: { sw: "\(answer.replacingOccurrences(of: " ", with: ""))" }
            """
        let unmarked = try await run(scenario)
        guard case .failed(let failure) = unmarked.outcome else {
            Issue.record("a scenario that spent a try passed unmarked: \(unmarked.outcome)")
            return
        }
        #expect(failure.message.hasPrefix("VERIFY spent a PIN try (the card answered \(answer))"), "\(failure)")
        #expect(failure.message.contains("add `destructive: true`"))
        #expect(failure.location == "Scenarios/test/t.yaml:5:5", "\(failure.location)")
        #expect(!failure.message.contains(wrong) && !failure.actual.contains(wrong), "the PIN stays out of reports")
        let marked = try await run(scenario.replacingOccurrences(of: "steps:", with: "destructive: true\nsteps:"))
        #expect(marked.outcome == .passed, "\(marked.outcome)")
    }

    @Test("A PIN from the environment is meant to be right: refused, the step's own expectation says so")
    func refusedCredentialIsNotAMislabel() async throws {
        let named = try await run(
            """
            id: T
            title: t
            steps:
              - select: jpki
              - verify: { ef: "0018", pin: "${env.MYNA_AUTH_PIN}" }
            """, environment: ["MYNA_AUTH_PIN": "9999"])
        guard case .failed(let failure) = named.outcome else {
            Issue.record("a refused PIN passed: \(named.outcome)")
            return
        }
        #expect(failure.message.hasPrefix("unexpected status word 63C2"), "\(failure)")
        let raw = try await run(
            """
            id: T
            title: t
            steps:
              - select: jpki
              - select: { ef: "0018" }
              - apdu: 00 20 00 80 04 ${env.MYNA_AUTH_PIN}
                expect: { sw: 63C2 }
            """, environment: ["MYNA_AUTH_PIN": "9999"])
        #expect(raw.outcome == .passed, "\(raw.outcome)")
    }

    @Test("Asking the tries left (an empty VERIFY) and the right PIN spend none: no destructive mark needed")
    func triesAskedNotSpent() async throws {
        let result = try await run(
            """
            id: T
            title: t
            steps:
              - select: jpki
              - verify: { ef: "0018" }
                expect: { sw: 63C3 }
              - verify: { ef: "0018", pin: "${card.pins.auth}" }
            """)
        #expect(result.outcome == .passed, "\(result.outcome)")
    }

    @Test("A failed expectation names the step's file:line:column, what was expected and what came back")
    func failing() async throws {
        let result = try await run(
            """
            id: FAIL
            title: expects the wrong status word
            steps:
              - select: jpki
              - select: { ef: "0001" }
              - apdu: 00 B0 00 00 04
                expect: { sw: 9000 }
              - select: jpki
            """)
        guard case .failed(let failure) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(failure.location == "Scenarios/test/t.yaml:6:5")
        #expect(failure.expected == "9000")
        #expect(failure.actual == "6982")
        #expect(result.transcript.count == 3, "the scenario stops at the failing step")
    }

    @Test("PINs never reach the transcript: VERIFY and CHANGE data, card PINs and environment values are masked")
    func masking() async throws {
        let result = try await run(
            """
            id: MASK
            title: masking
            steps:
              - select: jpki
              - verify: { ef: "0018", pin: "${card.pins.auth}" }
              - apdu: 00 20 00 80 04 31 32 33 34
              - change_pin: { new: "5678" }
              - apdu: 80 2A 00 80 ${lc(env.SECRET)} ${env.SECRET} 00
                expect: { sw: any }
            """, environment: ["SECRET": "S3CR3T-VALUE"])
        #expect(result.outcome == .passed, "\(result.outcome)")
        let text = result.transcript.map(\.command).joined(separator: "\n")
        #expect(text.contains("00 20 00 80 04 ********"))
        #expect(text.contains("00 24 01 80 04 ********"))
        #expect(text.contains("80 2A 00 80 0C ******** 00"))
        for secret in ["31 32 33 34", "35 36 37 38", Hex.encode(Array("S3CR3T-VALUE".utf8), separator: " ")] {
            #expect(!text.contains(secret))
        }
    }

    @Test("Captures feed later steps; certificate and signature expectations pass on a good card")
    func capturesAndCryptoChecks() async throws {
        let result = try await run(
            """
            id: CRYPTO
            title: certificate and signature checks
            steps:
              - select: jpki
              - read: { ef: "000B", pattern: jpki-myna }
                capture: ca
              - read: { ef: "000A", pattern: my-number-myna }
                capture: cert
                expect:
                  certificate:
                    chain_to: ${ca}
                    valid_on: as_of
                    subject: { C: JP, CN: TESTAUTH0000000001A }
                    key_usage: [digitalSignature]
                    extended_key_usage: [clientAuth]
                    policies: [1.2.392.200149.8.5.1.3.30]
              - verify: { ef: "0018", pin: "${card.pins.auth}" }
              - sign: { key: "0017", data: "${digestinfo(sha256, \\"abc\\")}" }
                expect: { signature: { certificate: "${cert}", message: "abc", hash: sha256 } }
              - sign: { data: "${sha256(\\"abc\\")}" }
                expect: { signature: { certificate: "${cert}", digest_info: "${sha256(\\"abc\\")}" } }
            """)
        #expect(result.outcome == .passed, "\(result.outcome)")
    }

    @Test(
        "Certificate checks fail when they should",
        arguments: [
            "chain_to: \"${other}\"", "valid_on: 2040-01-01", "subject: { CN: SOMEONE-ELSE }",
            "key_usage: [keyCertSign]",
            "policies: [1.2.3.4]",
        ])
    func certificateChecksCanFail(check: String) async throws {
        let result = try await run(
            """
            id: CERT-FAIL
            title: a certificate check that must fail
            steps:
              - select: jpki
              - read: { ef: "0002" }
                capture: other
              - read: { ef: "000A" }
                expect:
                  certificate: { \(check) }
            """)
        guard case .failed(let failure) = result.outcome else {
            Issue.record("\(check) did not fail")
            return
        }
        #expect(failure.message.hasPrefix("certificate: "))
        // The location is the certificate expectation's own.
        #expect(failure.location == "Scenarios/test/t.yaml:9:20")
    }

    @Test("A signature that does not verify fails the step")
    func badSignature() async throws {
        let result = try await run(
            """
            id: SIG-FAIL
            title: wrong message
            steps:
              - select: jpki
              - read: { ef: "000A" }
                capture: cert
              - verify: { ef: "0018", pin: "${card.pins.auth}" }
              - sign: { key: "0017", data: "${digestinfo(sha256, \\"abc\\")}" }
                expect: { signature: { certificate: "${cert}", message: "abd" } }
            """)
        guard case .failed(let failure) = result.outcome else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message.contains("does not verify"))
    }

    @Test("TLV paths: the FCP of a SELECT with P2 04 holds the FID under 62/83")
    func tlvPaths() async throws {
        let passing = try await run(
            """
            id: TLV
            title: tlv
            steps:
              - select: jpki
              - apdu: 00 A4 02 04 02 00 0A 00
                expect: { tlv: [ { path: 62/83, value: 00 0A }, { path: 62/80, length: 2 } ] }
            """)
        #expect(passing.outcome == .passed, "\(passing.outcome)")
        let failing = try await run(
            """
            id: TLV-FAIL
            title: tlv
            steps:
              - select: jpki
              - apdu: 00 A4 02 04 02 00 0A 00
                expect: { tlv: [ { path: 62/84 } ] }
            """)
        guard case .failed(let failure) = failing.outcome else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message == "TLV 62/84: no 84 inside 62")
    }

    @Test("Timing budgets: a budget of 0 ms always fails; timings are recorded for repeat with percentiles")
    func budgets() async throws {
        let over = try await run(
            """
            id: SLOW
            title: an impossible budget
            steps:
              - select: jpki
                expect: { max_ms: 0 }
            """)
        guard case .failed(let failure) = over.outcome else {
            Issue.record("a 0 ms budget passed")
            return
        }
        #expect(failure.message == "too slow")
        let repeated = try await run(
            """
            id: REPEAT
            title: repeated challenge
            steps:
              - repeat:
                  times: 20
                  steps:
                    - get_challenge: 8
                      expect: { length: 8 }
                expect: { p95_ms: 1000, max_ms: 1000 }
            """)
        #expect(repeated.outcome == .passed)
        #expect(repeated.timings.count == 1)
        #expect(repeated.timings[0].samples.count == 20)
        #expect(repeated.timings[0].p95Budget == .milliseconds(1000))
        #expect(repeated.transcript.count == 20)
    }

    @Test("A reset's ATR is its data: expectations check it, and a wrong ATR fails")
    func resetATR() async throws {
        let good = try await run(
            """
            id: ATR
            title: atr
            steps:
              - reset
              - reset: ~
                expect: { data: 3B E0 00 FF 81 31 FE 45 14 }
            """)
        #expect(good.outcome == .passed, "\(good.outcome)")
        #expect(good.transcript.first?.response == "ATR 3B E0 00 FF 81 31 FE 45 14")
        let bad = try await run(
            """
            id: ATR-BAD
            title: atr
            steps:
              - power_cycle: ~
                expect: { data: 3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F }
            """)
        guard case .failed(let failure) = bad.outcome else {
            Issue.record("a wrong ATR passed")
            return
        }
        #expect(failure.actual == "3B E0 00 FF 81 31 FE 45 14")
    }

    @Test("A variable with no value at run time is an error of the harness, not a card failure")
    func missingEnvironment() async throws {
        let result = try await run(
            """
            id: ENV
            title: missing env
            steps:
              - select: jpki
              - verify: { ef: "0018", pin: "${env.MYNA_NOT_SET_ANYWHERE}" }
            """)
        guard case .error(let failure) = result.outcome else {
            Issue.record("expected an error outcome, got \(result.outcome)")
            return
        }
        #expect(failure.message.contains("MYNA_NOT_SET_ANYWHERE is not set"))
    }

    @Test("Static checks find an Lc that disagrees with the data, at the APDU's location")
    func staticLcCheck() throws {
        let catalog = ScenarioCatalog.load(paths: ["\(repositoryRoot)/Tests/ScenarioTests/Broken/lc-mismatch.yaml"])
        let problems = StaticChecks.diagnostics(for: catalog.scenarios, variables: variables(try defaultProfile()))
        #expect(problems.count == 1)
        #expect(problems.first?.location?.line == 4)
        #expect(problems.first?.description.contains("Lc says 5 data bytes but 2 follow") == true)
    }

    @Test("Bad hex in an apdu step is reported once, at the bad digit, not again by the static checks")
    func badHexReportedOnce() throws {
        let parser = ScenarioParser()
        let scenario = try #require(
            parser.parse(
                file: "bad-hex.yaml",
                text: """
                    id: BAD-HEX
                    title: x
                    steps:
                      - apdu: 00 A4 04 0C 02 3F 0G
                    """))
        let parsed = parser.diagnostics.map(\.description)
        #expect(parsed == ["bad-hex.yaml:4:30: error: bad hex: invalid hex digit 'G'"])
        let problems = StaticChecks.diagnostics(for: [scenario], variables: variables(try defaultProfile()))
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("Nested concats stop at 1 MiB with an error at the call, before gigabytes are built")
    func concatBomb() throws {
        let catalog = ScenarioCatalog.load(paths: ["\(repositoryRoot)/Tests/ScenarioTests/Broken/concat-bomb.yaml"])
        let problems = StaticChecks.diagnostics(for: catalog.scenarios, variables: variables(try defaultProfile()))
        #expect(problems.count == 1)
        #expect(problems.first?.location?.line == 6 && problems.first?.location?.column == 30)
        #expect(problems.first?.description.contains("concat makes more than 1048576 bytes") == true)
    }

    @Test("The committed JPKI suite passes on the default card")
    func jpkiSuite() async throws {
        let catalog = ScenarioCatalog.load(paths: ["\(repositoryRoot)/Scenarios/jpki"])
        #expect(catalog.diagnostics.isEmpty)
        let profile = try defaultProfile()
        for scenario in catalog.scenarios {
            var execution = ScenarioExecution(
                channel: EmulatedChannel(card: EmulatedCard(profile: profile)), variables: variables(profile),
                asOf: profile.asOf)
            let result = await execution.run(scenario)
            #expect(result.outcome == .passed, "\(scenario.id): \(result.outcome)")
        }
    }
}

@Suite("Read patterns send the clients' exact bytes")
struct ReadPatternTests {
    /// The READ BINARY commands each client sends for a file of `size` bytes (jpki-protocol.md §2.3).
    static func expected(_ pattern: String, size: Int) -> [String] {
        func rb(_ offset: Int, _ le: Int) -> String {
            Hex.encode([0x00, 0xB0, UInt8(offset >> 8), UInt8(offset & 0xFF), UInt8(le & 0xFF)], separator: " ")
        }
        var commands: [String] = []
        switch pattern {
        case "opensc":
            commands.append(rb(0, 4))
            var offset = 0
            while offset < size {
                commands.append(rb(offset, min(256, size - offset)))
                offset += min(256, size - offset)
            }
        case "jpki-myna":
            commands.append(rb(0, 7))
            var offset = 7
            while offset < size {
                let remaining = size - offset
                commands.append(rb(offset, remaining > 255 ? 0 : remaining))
                offset += remaining > 255 ? 256 : remaining
            }
        case "jpki-rs":
            commands.append(rb(0, 7))
            for chunk in 0..<(size / 256) { commands.append(rb(chunk * 256, 0)) }
            if size % 256 != 0 { commands.append(rb(size / 256 * 256, size & 0xFF)) }
        default:  // my-number-myna
            commands.append(rb(0, 8))
            var offset = 0
            while offset < size {
                commands.append(rb(offset, min(255, size - offset)))
                offset += min(255, size - offset)
            }
        }
        return commands
    }

    @Test(
        "Each pattern's READ BINARY sequence, byte for byte",
        arguments: ["opensc", "jpki-myna", "jpki-rs", "my-number-myna"])
    func sequence(pattern: String) async throws {
        let size = try defaultProfile().jpki.authenticationCertificate.count
        let result = try await run(
            """
            id: PATTERN
            title: pattern
            steps:
              - select: jpki
              - select: { ef: "000A" }
              - read: { pattern: \(pattern) }
                expect: { length: \(size) }
            """)
        #expect(result.outcome == .passed, "\(result.outcome)")
        #expect(Array(result.transcript.dropFirst(2).map(\.command)) == Self.expected(pattern, size: size))
    }
}

@Suite("Card identity")
struct CardIdentityTests {
    @Test("Two cards have different identities; the same card the same one")
    func identities() async throws {
        let first = try defaultProfile()
        let second = try CardProfile.load(path: "\(repositoryRoot)/Vectors/cards/second-card.yaml")
        let a = await CardIdentity.read(from: EmulatedChannel(card: EmulatedCard(profile: first)))
        let b = await CardIdentity.read(from: EmulatedChannel(card: EmulatedCard(profile: second)))
        let again = await CardIdentity.read(from: EmulatedChannel(card: EmulatedCard(profile: first)))
        #expect(a != nil && b != nil)
        #expect(a != b)
        #expect(a == again)
        #expect(a?.certificateSerial == "012D57CA")
    }
}
