import APDU
import CardCrypto
import Foundation
import TestSupport
import Testing
import YAMLSource

@testable import CardEmulator

@Suite("Card profiles")
struct CardProfileTests {
    @Test(
        "Every committed profile loads",
        arguments: [
            "default", "auth-pin-one-try", "auth-pin-blocked", "sign-password-blocked", "expired-certificates",
            "under-15", "second-card", "card-expired", "text-ap-unwritten", "no-juki-ap", "revoked-auth-certificate",
            "free-area-installed",
        ])
    func committedProfilesLoad(name: String) throws {
        let profile = try loadProfile(name)
        #expect(profile.name == name)
        #expect(profile.atr == [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14])
        // Every committed card carries the whole chip except the one made without its juki AP.
        let expected =
            name == "no-juki-ap" ? ["JPKI", "text", "visual", "common"] : ["JPKI", "text", "visual", "juki", "common"]
        #expect(profile.applications.map(\.name) == expected)
        // A conforming card carries no fault and nothing a faulty card declares.
        #expect(profile.chip.faults.isEmpty && profile.chip.expectedFailures.isEmpty && profile.chip.basedOn == nil)
    }

    @Test("The default persona: My Number, name, dates, credentials")
    func defaultPersona() throws {
        let profile = try loadProfile()
        #expect(profile.holder.myNumber == "123456789018")
        #expect(profile.holder.name == "山田　太郎")
        #expect(profile.holder.address == "東京都千代田区千代田１－１")
        #expect(profile.holder.birthDate == CalendarDate(year: 1980, month: 1, day: 1))
        #expect(profile.holder.sex == "1")
        #expect(profile.pins["auth"]?.value == "1234")
        #expect(profile.pins["sign"]?.value == "ABC123")
        #expect(profile.pins["text"]?.value == "1234")
        #expect(profile.asOf == CalendarDate(year: 2026, month: 11, day: 24))
    }

    @Test("Certificates follow the 5th-birthday rule and are judged on as_of: valid by default, expired on request")
    func certificateValidity() throws {
        let valid = try CertificateSummary(derEncoded: loadProfile().jpki.authenticationCertificate)
        #expect(valid.notBefore == CalendarDate(year: 2025, month: 4, day: 1))
        #expect(
            valid.notAfter
                == ElectronicCertificateValidity.expiry(
                    issuedOn: CalendarDate(year: 2025, month: 4, day: 1)!,
                    birthDate: CalendarDate(year: 1980, month: 1, day: 1)!))
        #expect(try valid.notAfter > loadProfile().asOf)
        let expiredProfile = try loadProfile("expired-certificates")
        for der in [expiredProfile.jpki.authenticationCertificate, expiredProfile.jpki.signingCertificate!] {
            #expect(try CertificateSummary(derEncoded: der).notAfter < expiredProfile.asOf)
        }
    }

    @Test("The signing certificate carries the holder's attributes; the auth certificate's subject is C=JP, CN=serial")
    func certificateContents() throws {
        let profile = try loadProfile()
        let signing = try CertificateSummary(derEncoded: profile.jpki.signingCertificate!)
        #expect(signing.holderAttributes["1.2.392.200149.8.5.5.1"] == "山田　太郎")
        // Birth date as the real certificate writes it: an era digit (3 = Shōwa), then YYYYMMDD.
        #expect(signing.holderAttributes["1.2.392.200149.8.5.5.4"] == "319800101")
        #expect(signing.holderBirthDate == CalendarDate(year: 1980, month: 1, day: 1))
        #expect(signing.holderAttributes["1.2.392.200149.8.5.5.5"] == "東京都千代田区千代田１－１")
        let auth = try CertificateSummary(derEncoded: profile.jpki.authenticationCertificate)
        #expect(auth.subject.contains("CN=TESTAUTH0000000001A"))
        #expect(auth.serialNumber == [0x01, 0x2D, 0x57, 0xCA])
        #expect(auth.isSigned(by: try CertificateSummary(derEncoded: profile.jpki.authenticationCA).publicKey))
        #expect(auth.publicKey == profile.jpki.authenticationKey.publicKey)
        #expect(auth.keyUsage == ["digitalSignature"])
        #expect(auth.keyUsageIsCritical == true)
        #expect(auth.extendedKeyUsage == ["clientAuth"])
        #expect(auth.policyIdentifiers == ["1.2.392.200149.8.5.1.3.30"])
        #expect(signing.keyUsage == ["digitalSignature", "nonRepudiation"])
    }

    @Test("Loading is deterministic: the same profile gives byte-identical certificates")
    func deterministic() throws {
        let first = try CardProfile.load(path: profilePath("default"))
        let second = try CardProfile.load(path: profilePath("default"))
        #expect(first.jpki.authenticationCertificate == second.jpki.authenticationCertificate)
        #expect(first.jpki.signingCertificate == second.jpki.signingCertificate)
    }

    @Test(
        "My Number check digits",
        arguments: [
            ("123456789018", true), ("987654321018", true), ("123456789012", false), ("12345678901", false),
            ("12345678901a", false), ("１２３４５６７８９０１８", false),
        ])
    func myNumberCheckDigit(number: String, valid: Bool) {
        #expect(CardHolder.isValidMyNumber(number) == valid)
    }

    /// Line 3 anchors ten values as `a`; each next line refers ten times to the one before.
    static let aliasBomb =
        "profile: x\nas_of: 2026-11-24\ndescription: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + zip("abcdefg", "bcdefgh").map { previous, anchor in
            "x\(anchor): &\(anchor) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }.joined()

    /// A broken profile, the line:column the error must point at, and words the message must contain.
    static let broken: [(String, String, String, String)] = [
        (
            "unknown key", "profile: x\nas_of: 2026-11-24\nholdr: {}\n", "3:1",
            "unknown key 'holdr' (did you mean 'holder'?)"
        ),
        ("bad date", "profile: x\nas_of: 2026-13-01\n", "2:8", "'2026-13-01' is not a date"),
        ("syntax", "profile: x\nas_of: [2026\n", "3:1", "YAML syntax"),
        ("duplicate key", "profile: x\nprofile: y\n", "1:1", "duplicate key 'profile'"),
        ("missing key", "profile: x\n", "1:1", "missing key 'as_of'"),
        ("not a mapping", "- a\n- b\n", "1:1", "expected a mapping"),
        // "Billion laughs": eight lines that expand to 10^8 values through aliases; refused before any walk.
        ("alias bomb", aliasBomb, "3:48", "aliases (*name) expand this document to more than"),
    ]

    @Test("A malformed profile gives file:line:column and what is wrong", arguments: broken.indices)
    func malformedProfile(index: Int) throws {
        let (_, text, position, words) = Self.broken[index]
        do {
            _ = try CardProfile.parse(text, path: "broken.yaml")
            Issue.record("no error for: \(text)")
        } catch {
            #expect(error.description.hasPrefix("broken.yaml:\(position): error: "), "\(error)")
            #expect(error.description.contains(words), "\(error)")
        }
    }

    /// The default profile with one line replaced, in a temporary folder laid out like Vectors so key paths resolve.
    func variant(_ find: String, _ replace: String) throws -> (path: String, line: Int) {
        let text = try String(contentsOfFile: profilePath("default"), encoding: .utf8)
        #expect(text.contains(find))
        let changed = text.replacingOccurrences(of: find, with: replace)
        let line =
            changed.components(separatedBy: "\n").firstIndex { $0.contains(replace.components(separatedBy: "\n")[0]) }!
            + 1
        // A private copy of the Vectors layout: cards/<file> and keys -> the committed keys.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("cards"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent("keys").path, withDestinationPath: "\(repositoryRoot)/Vectors/keys"
        )
        for shared in ["cards/images", "revocation"] {
            try FileManager.default.createSymbolicLink(
                atPath: directory.appendingPathComponent(shared).path,
                withDestinationPath: "\(repositoryRoot)/Vectors/\(shared)")
        }
        let path = directory.appendingPathComponent("cards/variant.yaml").path
        try changed.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, line)
    }

    @Test(
        "Semantic errors point at the value",
        arguments: [
            ("my_number: \"123456789018\"", "my_number: \"123456789012\"", "not a valid My Number"),
            ("auth: \"1234\"", "auth: \"12345\"", "the auth credential must be 4 digits"),
            ("sign: \"ABC123\"", "sign: \"abc\"", "the sign credential must be 6–16 of [A-Z0-9]"),
            ("key: ../keys/default-auth.pem", "key: ../keys/missing.pem", "cannot read key file '../keys/missing.pem'"),
            ("sex: \"1\"", "sex: \"3\"", "'3' is not one of: 0, 1, 2, 9"),
            ("serial: 01 2D 57 CA", "serial: 01 2D 5G CA", "bad hex"),
            ("auth: \"1234\"", "auth: { value: \"1234\", tries_left: 16 }", "16 is out of range 0...15"),
            ("key: ../keys/default-auth.pem", "key: ../cards/default.yaml", "key file '../cards/default.yaml'"),
        ])
    func semanticErrors(find: String, replace: String, words: String) throws {
        let (path, line) = try variant(find, replace)
        defer {
            try? FileManager.default.removeItem(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path)
        }
        do {
            _ = try CardProfile.load(path: path)
            Issue.record("no error for \(replace)")
        } catch {
            #expect(error.location?.file == path)
            #expect(error.location?.line == line, "\(error)")
            #expect(error.description.contains(words), "\(error)")
        }
    }

    @Test("A bad hex digit is pointed at exactly: line and column of the character")
    func badHexColumn() throws {
        let (path, line) = try variant("serial: 01 2D 57 CA", "serial: 01 2D 5G CA")
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path) }
        let text = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")[line - 1]
        let column = text.distance(from: text.startIndex, to: text.firstIndex(of: "G")!) + 1
        #expect(throws: Diagnostic.self) { try CardProfile.load(path: path) }
        do {
            _ = try CardProfile.load(path: path)
        } catch {
            #expect(error.location == SourceLocation(file: path, line: line, column: column), "\(error)")
            #expect(error.message.contains("'G'"))
        }
    }

    @Test("A missing profile file is a diagnostic, not a crash")
    func missingFile() {
        #expect(throws: Diagnostic.self) { try CardProfile.load(path: "/nonexistent/card.yaml") }
    }
}
