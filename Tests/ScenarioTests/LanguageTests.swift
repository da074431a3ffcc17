import APDU
import Foundation
import Testing
import YAMLSource

@testable import Scenario

func parse(_ yaml: String, file: String = "t.yaml") -> (Scenario?, [Diagnostic]) {
    let parser = ScenarioParser()
    let scenario = parser.parse(file: file, text: yaml)
    return (scenario, parser.diagnostics)
}

@Suite("The scenario language")
struct LanguageTests {
    @Test("A full scenario: header fields, named steps, expectations, captures")
    func fullScenario() throws {
        let (scenario, problems) = parse(
            """
            id: JPKI-X
            title: Everything
            requirements: [JPKI-PIN-02, JPKI-SIGN-01]
            tags: [jpki, pin]
            destructive: true
            card: auth-pin-one-try
            steps:
              - select: jpki
              - select: { ef: "0018" }
              - verify: {}
              - verify: { pin: "${card.pins.auth}" }
              - read: { ef: "000B" }
                capture: ca
              - read: { ef: "000A", pattern: jpki-rs }
                capture: cert
                expect: { data_prefix: 30 82 ?? ??, length: 1..2048, certificate: { chain_to: "${ca}", valid_on: as_of } }
              - sign: { key: "0017", data: "${digestinfo(sha256, \\"x\\")}" }
                expect: { signature: { certificate: "${cert}", message: "x" }, max_ms: 1500 }
              - repeat:
                  times: 3
                  steps:
                    - get_challenge: 8
                expect: { p95_ms: 50 }
              - reset
              - wait: 10
            """)
        #expect(problems.isEmpty, "\(problems)")
        let parsed = try #require(scenario)
        #expect(parsed.id == "JPKI-X")
        #expect(parsed.requirements == ["JPKI-PIN-02", "JPKI-SIGN-01"])
        #expect(parsed.effectiveTags == ["jpki", "pin", "destructive"])
        #expect(parsed.card == "auth-pin-one-try")
        #expect(
            parsed.steps.map(\.action.name) == [
                "select", "select", "verify", "verify", "read", "read", "sign", "repeat", "reset", "wait",
            ])
        // An empty VERIFY expects 63Cx by default; a VERIFY with a PIN expects 9000.
        #expect(parsed.steps[2].expect.statusWords.map(\.text) == ["63C?"])
        #expect(parsed.steps[3].expect.statusWords.map(\.text) == ["9000"])
        #expect(parsed.steps[5].capture == "cert")
        #expect(parsed.steps[5].expect.length == 1...2048)
        #expect(parsed.steps[6].expect.maxMilliseconds == 1500)
        #expect(parsed.steps[7].expect.p95Milliseconds == 50)
        #expect(parsed.steps[5].location == SourceLocation(file: "t.yaml", line: 14, column: 5))
    }

    @Test("select by application name and by AID give the same AID")
    func selectForms() throws {
        let (scenario, problems) = parse(
            """
            id: S
            title: s
            steps:
              - select: jpki
              - select: D3 92 F0 00 26 01 00 00 00 01
              - select: { application: jpki }
              - select: { aid: D392F000260100000001 }
            """)
        #expect(problems.isEmpty)
        let aids = try #require(scenario).steps.compactMap { step -> String? in
            guard case .selectApplication(let template) = step.action else { return nil }
            return Hex.encode(try! Hex.decode(template.text))
        }
        #expect(aids == Array(repeating: "D392F000260100000001", count: 4))
    }

    @Test("Templates: expressions, functions, columns")
    func templates() throws {
        let location = SourceLocation(file: "t.yaml", line: 3, column: 11)
        let template = try Template.parse("80 2A 00 80 ${lc(digestinfo(sha256, \"a,b\"))} ${x} 00", at: location)
        #expect(template.variables.map { $0.path } == [["x"]])
        #expect(template.variables.first?.column == 48)
        #expect(throws: Diagnostic.self) { try Template.parse("${nope(1)}", at: location) }
        #expect(throws: Diagnostic.self) { try Template.parse("${lc(1, 2)}", at: location) }
        #expect(throws: Diagnostic.self) { try Template.parse("${digestinfo(md5, \"x\")}", at: location) }
        #expect(throws: Diagnostic.self) { try Template.parse("${\"open", at: location) }
        do {
            _ = try Template.parse("00 ${sha256(\"x\"", at: location)
        } catch {
            // The end of the text, where the ')' is missing.
            #expect(error.location?.column == location.column + 15)
        }
    }

    @Test("An unknown key hides nothing else in its step; a typo is reported once, not again as what it left out")
    func unknownKeysAllAtOnce() {
        let (_, problems) = parse(
            """
            id: TWO
            title: t
            steps:
              - verify: { ef: "0018", pinn: "1234" }
                expekt: { sw: 9000, dta: 00 }
              - selekt: jpki
              - install_ap: { regoin: local, key: 00112233445566778899AABBCCDDEEFF, package: 70 00 }
              - frobnicate: 1
            """)
        let found = problems.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.message)" }
        #expect(
            found.map { String($0.prefix { $0 != "(" && $0 != ";" }) }.sorted()
                == [
                    "4:27 steps[0].verify: unknown key 'pinn' ",
                    "5:5 steps[0]: unknown key 'expekt' ",
                    // Read as `expect`, so its own mistake is found in the same run.
                    "5:25 steps[0].expect: unknown key 'dta' ",
                    "6:5 steps[1]: unknown key 'selekt' ",
                    "7:19 steps[2].install_ap: unknown key 'regoin' ",
                    "8:5 steps[3]: unknown key 'frobnicate'",
                ].sorted(), "\(found)")
        #expect(!found.contains { $0.contains("missing key") || $0.contains("needs one action") })
    }

    @Test("Status word and byte patterns")
    func patterns() {
        let pattern = StatusWordPattern("63C?")!
        #expect(pattern.matches(StatusWord(0x63, 0xC2)))
        #expect(!pattern.matches(StatusWord(0x69, 0x84)))
        #expect(StatusWordPattern("9000 0") == nil)
        let bytes = BytePattern(bytes: [0x30, 0x82, nil, nil], prefix: false)
        #expect(bytes.matches([0x30, 0x82, 0x03, 0x58]))
        #expect(!bytes.matches([0x30, 0x82, 0x03]))
        #expect(BytePattern(bytes: [0x30], prefix: true).matches([0x30, 0x01]))
    }

    @Test(
        "Tag expressions: precedence, parentheses, errors with columns",
        arguments: [
            ("jpki and not destructive", ["jpki"], true),
            ("jpki and not destructive", ["jpki", "destructive"], false),
            ("pin or sign and jpki", ["pin"], true),
            ("(pin or sign) and jpki", ["pin"], false),
            ("not not jpki", ["jpki"], true),
        ])
    func tagExpressions(text: String, tags: [String], matches: Bool) throws {
        #expect(try TagExpression.parse(text).matches(Set(tags)) == matches)
    }

    @Test("Malformed tag expressions say where", arguments: ["jpki and", "(jpki", "and jpki", "jpki )"])
    func badTagExpressions(text: String) {
        #expect(throws: Diagnostic.self) { try TagExpression.parse(text) }
    }

    @Test("Tag filters nested deeper than 32, or longer than 1000 words, are errors naming the column, not a crash")
    func hugeTagExpressions() throws {
        let deep = String(repeating: "(", count: 40) + "jpki" + String(repeating: ")", count: 40)
        let nots = String(repeating: "not ", count: 40) + "jpki"
        let huge = String(repeating: "(", count: 30_000) + "jpki" + String(repeating: ")", count: 30_000)
        let long = Array(repeating: "jpki", count: 20_000).joined(separator: " and ")
        for (text, words) in [
            (deep, "column 33: nested more than 32 deep"), (nots, "column 129: nested more than 32 deep"),
            (huge, "column 1001: more than 1000 words"), (long, "column 4501: more than 1000 words"),
        ] {
            do {
                _ = try TagExpression.parse(text)
                Issue.record("accepted \(text.prefix(40))…")
            } catch {
                #expect(error.message.contains(words), "\(error.message.suffix(120))")
                #expect(error.message.count < 300, "the message quotes the start of the filter, not all of it")
            }
        }
        let fine = String(repeating: "(", count: 32) + "jpki" + String(repeating: ")", count: 32)
        #expect(try TagExpression.parse(fine).matches(["jpki"]))
    }

    @Test("A scriptor script: comments, spaced and unspaced hex, continuation, reset, exit, expectations")
    func scriptor() throws {
        let (scenario, problems) = parse(
            """
            # Read the token label
            00A4040C0AD392F000260100000001
            # expect sw: 9000
            00 A4 02 0C \\
            02 00 06
            00 B0 00 00 20
            # expect response: 4A 50 ?? ?? 90 00
            reset
            exit
            00 B0 00 00 20
            """, file: "Scenarios/jpki/token.scr")
        #expect(problems.isEmpty, "\(problems)")
        let parsed = try #require(scenario)
        #expect(parsed.id == "token")
        #expect(parsed.title == "Read the token label")
        #expect(parsed.suite == "jpki")
        #expect(parsed.format == .scriptor)
        #expect(parsed.steps.map(\.action.name) == ["apdu", "apdu", "apdu", "reset"])
        #expect(parsed.steps[0].expect.statusWords.map(\.text) == ["9000"])
        #expect(parsed.steps[1].expect.statusWords.isEmpty, "without an expectation a script step checks nothing")
        #expect(parsed.steps[2].expect.data == BytePattern(bytes: [0x4A, 0x50, nil, nil], prefix: false))
        #expect(parsed.steps[1].location.line == 4)
    }

    @Test("A script names its requirements in a '# requirements:' comment before the first command, once")
    func scriptorRequirements() throws {
        let (scenario, problems) = parse(
            """
            # Foreign AIDs
            # requirements: JPKI-CARD-02, [JPKI-AP-01]
            00 A4 04 00 06 A0 00 00 00 01 01
            # expect sw: 6A82
            """, file: "Scenarios/jpki/probes.scr")
        #expect(problems.isEmpty, "\(problems)")
        #expect(scenario?.requirements == ["JPKI-CARD-02", "JPKI-AP-01"])
        #expect(scenario?.title == "Foreign AIDs")
        let (_, late) = parse(
            """
            00 A4 04 00 06 A0 00 00 00 01 01
            # requirements: JPKI-CARD-02
            """, file: "Scenarios/jpki/late.scr")
        #expect(
            late.map(\.description) == [
                "Scenarios/jpki/late.scr:2:1: error: '# requirements:' belongs once, before the first command"
            ])
    }

    @Test("A script's expectation under a refused command line is checked, not reported as following no APDU")
    func scriptorExpectationAfterBadCommand() {
        let (_, problems) = parse(
            """
            00A4040C0AD392F00026010000000
            # expect sw: 9000
            00 B0 00 00 ZZ
            # expect sw: 900
            """, file: "Scenarios/jpki/bad.scr")
        #expect(
            problems.map(\.description) == [
                "Scenarios/jpki/bad.scr:1:1: error: bad hex: odd number of hex digits (29)",
                "Scenarios/jpki/bad.scr:3:13: error: bad hex: invalid hex digit 'Z'",
                "Scenarios/jpki/bad.scr:4:1: error: '900' is not a status word (4 hex digits, ? for any digit)",
            ])
    }

    @Test("Bad hex on a line continued with \\ is reported on the line and column where it stands")
    func scriptorContinuedLineColumn() {
        let (_, problems) = parse(
            "00 A4 04 0C \\\n  0A D3 92 ZZ 00 26 01 00 00 00 01\n00 A4 04 0C\\\n0A D3 92 F0 00 26 01\\\n 00 00 00 0G\n",
            file: "Scenarios/jpki/continued.scr")
        #expect(
            problems.map(\.description) == [
                "Scenarios/jpki/continued.scr:2:12: error: bad hex: invalid hex digit 'Z'",
                "Scenarios/jpki/continued.scr:5:12: error: bad hex: invalid hex digit 'G'",
            ])
    }

    @Test("The suite of a file is its folder under Scenarios/")
    func suites() {
        #expect(ScenarioParser.suite(of: "/x/Scenarios/jpki/a.yaml") == "jpki")
        #expect(ScenarioParser.suite(of: "Scenarios/jpki/sub/a.yaml") == "jpki")
        #expect(ScenarioParser.suite(of: "/tmp/mine/a.yaml") == "mine")
    }

    @Test("The committed JPKI suite parses without a problem")
    func committedSuite() {
        let root = testsFolder.deletingLastPathComponent().deletingLastPathComponent().path
        let catalog = ScenarioCatalog.load(paths: ["\(root)/Scenarios"])
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics)")
        #expect(catalog.scenarios.count >= 15)
        #expect(catalog.scenarios.allSatisfy { !$0.requirements.isEmpty || $0.format == .scriptor })
    }
}
