import Foundation
import Runner
import Testing

@testable import Reports

@Suite("XML escaping, JUnit names and file names")
struct XMLEscapingTests {
    @Test("Text: & < > escaped, ]]> neutralised, CR as &#13;, LF and TAB kept, quotes kept")
    func text() {
        #expect(XMLEscaping.text("a & b < c > d ]]> e") == "a &amp; b &lt; c &gt; d ]]&gt; e")
        #expect(XMLEscaping.text("1\r\n2\n3\t4") == "1&#13;\n2\n3\t4")
        #expect(XMLEscaping.text("\"'") == "\"'")
    }

    @Test("Attributes: quotes, TAB, LF and CR as references so attribute normalisation keeps them")
    func attribute() {
        #expect(XMLEscaping.attribute("\"x\" 'y' <&>") == "&quot;x&quot; &apos;y&apos; &lt;&amp;&gt;")
        #expect(XMLEscaping.attribute("a\tb\nc\rd") == "a&#9;b&#10;c&#13;d")
    }

    @Test("Characters XML 1.0 forbids are made visible; every other character passes through unchanged")
    func forbidden() {
        #expect(
            XMLEscaping.text("\u{0}\u{1}\u{8}\u{B}\u{C}\u{E}\u{1B}\u{1F}")
                == #"\u{0}\u{1}\u{8}\u{B}\u{C}\u{E}\u{1B}\u{1F}"#)
        #expect(XMLEscaping.attribute("\u{FFFE}\u{FFFF}") == #"\u{FFFE}\u{FFFF}"#)
        let printable = "🔐 署名 \u{7E}\u{A0}\u{FFFD}\u{10FFFF}"
        #expect(XMLEscaping.text(printable) == printable)
        // Allowed by XML 1.0 but discouraged, and acted on by terminals: visible as well.
        #expect(XMLEscaping.text("\u{7F}\u{85}\u{9B}") == #"\u{7F}\u{85}\u{9B}"#)
        let allowed = (0x20...0xD7FF).compactMap(Unicode.Scalar.init)
        #expect(allowed.allSatisfy { !XMLEscaping.isForbidden($0) })
        let passedThrough = allowed.filter { !"&<>".unicodeScalars.contains($0) && !(0x7F...0x9F).contains($0.value) }
        #expect(passedThrough.allSatisfy { XMLEscaping.text(String($0)) == String($0) })
    }

    @Test("No report contains a raw forbidden character, whatever the input")
    func reportsHaveNoForbiddenCharacters() {
        let documents = [JUnitReport.render(fixtureRun)] + JUnitReport.renderPerSuite(fixtureRun).map(\.document)
        for document in documents {
            #expect(!document.unicodeScalars.contains { XMLEscaping.isForbidden($0) || XMLEscaping.isDiscouraged($0) })
            #expect(!document.contains("]]>"))
            #expect(!document.contains("\r"))
        }
    }

    @Test("Test names are the scenario IDs, whatever the title and requirements say, so CI follows them over time")
    func testNames() {
        #expect(fixtureRun.scenarios.map(\.testName) == fixtureRun.scenarios.map(\.id))
        var renamed = fixtureRun.scenarios[1]
        renamed.title = "A reworded title"
        renamed.requirements = ["JPKI-PIN-09"]
        renamed.file = "Scenarios/elsewhere/renamed.yaml"
        #expect(renamed.testName == "JPKI-AUTH-PIN-LOCKOUT")
        #expect(JUnitReport.render(fixtureRun).contains("<testcase name=\"JPKI-AUTH-PIN-LOCKOUT\" classname=\"jpki\""))
    }

    @Test("Suite file names: safe names kept; others made safe with a hash, so different suites never collide")
    func fileNames() {
        #expect(JUnitReport.fileName(forSuite: "jpki") == "TEST-jpki.xml")
        #expect(JUnitReport.fileName(forSuite: "text-ap_2.v1") == "TEST-text-ap_2.v1.xml")
        let unsafe = [
            "free area/type A", "free_area_type_A", "free area/type_A", "../etc", "", ".", "..", "券面",
            "a\u{0}b", String(repeating: "x", count: 300),
        ]
        let names = unsafe.map(JUnitReport.fileName(forSuite:))
        let safe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars)
        #expect(Set(names).count == names.count, "\(names)")
        for name in names {
            #expect(name.hasPrefix("TEST-") && name.hasSuffix(".xml"))
            #expect(name.unicodeScalars.allSatisfy(safe.contains), "\(name)")
            #expect(name.utf8.count <= 130)
        }
        #expect(names[0] == JUnitReport.fileName(forSuite: "free area/type A"), "the name must be stable")
        #expect(names[0].hasPrefix("TEST-free_area_type_A-"))
    }

    @Test("Times are seconds with three decimals, rounded, never negative, no locale")
    func times() {
        #expect(Figures.seconds(.zero) == "0.000")
        #expect(Figures.seconds(.microseconds(1_499)) == "0.001")
        #expect(Figures.seconds(.microseconds(1_500)) == "0.002")
        #expect(Figures.seconds(.seconds(1234) + .milliseconds(5)) == "1234.005")
        #expect(Figures.seconds(.milliseconds(-5)) == "0.000")
        #expect(Figures.milliseconds(.nanoseconds(12_345_499)) == "12.345")
        #expect(Figures.milliseconds(.nanoseconds(999_999_999)) == "1000.000")
        #expect(Figures.budget(.milliseconds(200)) == "200 ms")
        #expect(Figures.budget(.microseconds(500)) == "0.5 ms")
        #expect(Figures.human(.microseconds(412)) == "0.41 ms")
        #expect(Figures.human(.microseconds(23_456)) == "23.5 ms")
        #expect(Figures.human(.milliseconds(2_345)) == "2.345 s")
    }
}

@Suite("Credentials in transcripts")
struct CredentialMaskingTests {
    @Test(
        "A VERIFY, CHANGE REFERENCE DATA or RESET RETRY COUNTER with clear data shows ******** for the data",
        arguments: [
            ("00 20 00 80 04 31 32 33 34", "00 20 00 80 04 ********"),
            ("0020008004313233 34", "00 20 00 80 04 ********"),
            ("00 24 00 81 08 31 32 33 34 35 36 37 38", "00 24 00 81 08 ********"),
            ("00 2C 00 81 04 31 32 33 34 00", "00 2C 00 81 04 ******** 00"),
            ("00 20 00 80 00 00 04 31 32 33 34", "00 20 00 80 00 00 04 ********"),
        ])
    func masked(_ command: String, _ shown: String) {
        let entry = TranscriptEntry(command: command, response: "90 00", duration: .zero, step: "x.yaml:1")
        #expect(entry.maskedCommand == shown)
    }

    @Test(
        "Commands without credential data are shown as the Runner gave them",
        arguments: [
            "00 20 00 80",  // an empty VERIFY asks for the tries left
            "00 20 00 80 04 ********",  // already masked
            "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01",
            "80 2A 00 80 04 31 32 33 34",  // a signature's input is not a credential
            "reset",
        ])
    func untouched(_ command: String) {
        let entry = TranscriptEntry(command: command, response: "90 00", duration: .zero, step: "x.yaml:1")
        #expect(entry.maskedCommand == command)
    }

    @Test("The fixture's unmasked PIN (31 32 33 34 after VERIFY) appears in no report")
    func noReportCarriesThePIN() {
        let reports =
            [JUnitReport.render(fixtureRun), JSONReport.render(fixtureRun), consoleOutput(fixtureRun, colour: false)]
            + JUnitReport.renderPerSuite(fixtureRun).map(\.document)
        for report in reports {
            #expect(!report.contains("80 04 31 32 33 34"))
            #expect(!report.contains("00 20 00 80 04 31"))
        }
        #expect(JUnitReport.render(fixtureRun).contains("00 20 00 80 04 ********"))
    }
}
