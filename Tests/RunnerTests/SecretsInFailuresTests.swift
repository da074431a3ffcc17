import CardCrypto
import Foundation
import Scenario
import Testing

@testable import Runner

/// A failure message says what was expected; when that was made from a PIN, a password or the environment, it must
/// not say it in clear (reports, JUnit and the console all carry the message).
@Suite("Secrets stay masked in failure messages and lint diagnostics")
struct SecretsInFailuresTests {
    @Test("expect data made from a PIN: the expected bytes are masked in the failure")
    func expectedDataFromPIN() async throws {
        let result = try await run(
            """
            id: LEAK-DATA
            title: data compared with a PIN
            steps:
              - select: jpki
              - select: { ef: "0008" }
              - apdu: 00 B0 00 00 00
                expect: { data: "8F ${card.pins.auth}" }
            """)
        guard case .failed(let failure) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        // The default auth PIN 1234 is ASCII 31 32 33 34.
        #expect(failure.expected == "8F ********", "\(failure)")
        #expect(!"\(failure)".contains("31 32 33 34"))
    }

    @Test("expect tlv utf8 from the environment: named as a secret, not quoted")
    func expectedTextFromEnvironment() async throws {
        let result = try await run(
            """
            id: LEAK-TLV
            title: a TLV value compared with a secret
            steps:
              - apdu: 00 A4 04 00 0A D3 92 F0 00 26 01 00 00 00 01
                expect: { tlv: [ { path: "62", utf8: "${env.MYNA_TEST_SECRET}" } ] }
            """, environment: ["MYNA_TEST_SECRET": "hunter2pw"])
        guard case .failed(let failure) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(failure.message.hasPrefix("TLV 62: "), "\(failure)")
        #expect(failure.expected == "(a secret value, masked)", "\(failure)")
        #expect(!"\(failure)".contains("hunter2pw"))
    }

    @Test("unhex of a secret that is not hex: the error names the variable, never its value")
    func unhexOfSecret() async throws {
        let result = try await run(
            """
            id: LEAK-UNHEX
            title: unhex of a secret
            steps:
              - apdu: 00 20 00 80 ${lc(unhex(env.MYNA_TEST_SECRET))} ${unhex(env.MYNA_TEST_SECRET)}
            """, environment: ["MYNA_TEST_SECRET": "hunter2pw"])
        guard case .error(let failure) = result.outcome else {
            Issue.record("expected an error, got \(result.outcome)")
            return
        }
        #expect(failure.message.contains("the secret value of env.MYNA_TEST_SECRET is not hex"), "\(failure)")
        #expect(!"\(failure)".contains("hunter2pw"))
    }

    @Test("lint: an APDU whose Lc disagrees with a secret's length shows no byte of it")
    func lintOfSecretAPDU() throws {
        let parser = ScenarioParser()
        let scenario = try #require(
            parser.parse(
                file: "Scenarios/test/t.yaml",
                text: """
                    id: LEAK-LINT
                    title: a wrong Lc before a password
                    steps:
                      - apdu: 00 20 00 80 ${unhex(card.pins.sign)}
                    """))
        var store = variables(try defaultProfile())
        // A password that happens to be hex, so unhex succeeds and its first byte would be read as Lc.
        store.card["card.pins.sign"] = "ABC123"
        let problems = StaticChecks.diagnostics(for: [scenario], variables: store).map(\.description)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.contains("include a secret value") == true, "\(problems)")
        #expect(problems.allSatisfy { !$0.contains("171") && !$0.contains("AB") }, "\(problems)")
    }
}
