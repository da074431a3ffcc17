import APDU
import Foundation
import Testing
import YAMLSource

@testable import Scenario

/// The language the chip's suites added: content checks on TLV values, computed values, signatures by key and by
/// path, revocation, the card-file functions and `needs_env` — parsed, and refused where they are wrong.
@Suite("The scenario language: card files, keys and revocation")
struct ChipLanguageTests {
    @Test("Everything new parses into the model")
    func parsesIntoTheModel() throws {
        let (parsed, problems) = parse(
            """
            id: CHIP-X
            title: Everything new
            needs_env: [MYNACONF_OCSP_URL]
            steps:
              - read: { ef: "0002", pattern: jpki-myna }
                capture: face
              - read: { ef: "0002", pattern: jpki-myna }
                expect:
                  data: "${face}"
                  tlv:
                    - { path: FF20/DF21, offset_table: true }
                    - { path: FF20/DF22, format: [date, digits], before: as_of, not_before: 1900-01-01 }
                    - { path: FF20/DF25, format: png, value: "${tlv_value(face, \\"FF20/DF25\\")}" }
                    - { path: FF20/DF23, utf8: "${card.holder.sex}" }
                  signature:
                    public_key: ${face}
                    path: FF20/DF28
                    digest_info: ${digestinfo_prehashed(sha256, concat(sha256(face), sha256(face), sha256(face)))}
              - read: { ef: "000A" }
                expect:
                  certificate:
                    not_valid_on: as_of
                    revocation: { issuer: "${unhex(\\"30\\")}", crl: x.crl, ocsp: "${env.URL}", status: revoked }
            """)
        #expect(problems.isEmpty, "\(problems)")
        let scenario = try #require(parsed)
        #expect(scenario.neededEnvironment == ["MYNACONF_OCSP_URL"])
        let first = scenario.steps[1].expect
        #expect(first.dataTemplate?.template.text == "${face}")
        #expect(first.tlv[0].offsetTable)
        #expect(first.tlv[1].formats == [ValueFormat.date, ValueFormat.digits])
        #expect(first.tlv[1].before == "as_of" && first.tlv[1].notBefore == "1900-01-01")
        #expect(first.tlv[2].valueTemplate != nil && first.tlv[2].value == nil)
        #expect(first.tlv[3].utf8?.text == "${card.holder.sex}")
        let signature = try #require(first.signature)
        #expect(signature.publicKey && signature.path.map(\.description) == ["FF20", "DF28"])
        let certificate = try #require(scenario.steps[2].expect.certificate)
        #expect(certificate.notValidOn == "as_of")
        #expect(certificate.revocation?.status == .revoked && certificate.revocation?.crl?.text == "x.crl")
    }

    @Test(
        "Mistakes are reported at file:line:column with what is wrong",
        arguments: [
            ("expect: { tlv: [{ path: FF20, format: jpeg }] }", "'jpeg' is not one of: utf8, digits, my_number"),
            ("expect: { tlv: [{ path: FF20, before: tomorrow }] }", "'tomorrow' is not a date"),
            ("expect: { tlv: [{ path: FF20, offset_table: maybe }] }", "expected true or false"),
            (
                "expect: { signature: { certificate: \"30\", public_key: \"30\", message: x } }",
                "either certificate or public_key"
            ),
            ("expect: { signature: { message: x } }", "missing key 'certificate' (or 'public_key'"),
            (
                "expect: { signature: { public_key: \"30\", path: \"FF20/ZZ\", message: x } }",
                "is not a path of BER tags"
            ),
            ("expect: { certificate: { revocation: { issuer: \"30\", status: good } } }", "needs crl"),
            (
                "expect: { certificate: { revocation: { issuer: \"30\", crl: x, status: maybe } } }",
                "'maybe' is not one of: good, revoked"
            ),
            ("expect: { certificate: { not_valid_on: soon } }", "'soon' is not a date"),
            ("expect: { data: \"${concat(\\\"a\\\")}\" }", "concat takes 2 to 16 arguments, not 1"),
            (
                "expect: { data: \"${tlv_value(\\\"a\\\", \\\"FF20/XY\\\")}\" }",
                "tlv_value's path: 'XY' is not a BER tag"
            ),
            (
                "expect: { data: \"${digestinfo_prehashed(md5, \\\"a\\\")}\" }",
                "first argument is the hash: sha1 or sha256"
            ),
        ])
    func mistakes(expect: String, words: String) throws {
        let (_, problems) = parse(
            """
            id: BAD
            title: t
            steps:
              - get_challenge: 8
                \(expect)
            """)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.location?.line == 5, "\(problems)")
        #expect(problems.first?.message.contains(words) == true, "\(problems)")
    }

    @Test("needs_env names environment variables")
    func neededEnvironmentNames() {
        let (_, problems) = parse("id: X\ntitle: t\nneeds_env: [GOOD_1, 1BAD]\nsteps:\n  - reset\n")
        #expect(
            problems.map(\.description) == [
                "t.yaml:3:21: error: needs_env[1]: '1BAD' is not an environment variable name"
            ])
    }

    @Test("The chip's suites parse without a problem")
    func committedSuites() {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        for suite in ["text-ap", "visual-ap", "juki-ap", "common-ap", "card-states"] {
            let catalog = ScenarioCatalog.load(paths: ["\(root)/Scenarios/\(suite)"])
            #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics)")
            #expect(catalog.scenarios.count >= 3, "\(suite)")
            #expect(
                catalog.scenarios.allSatisfy { !$0.requirements.isEmpty }, "\(suite): every scenario names requirements"
            )
        }
    }
}
