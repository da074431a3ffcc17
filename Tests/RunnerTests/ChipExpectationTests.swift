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

/// Runs a scenario on a fresh card of `profile`, with the chip's `${card.…}` values too.
func runChip(_ yaml: String, profile name: String = "default", environment: [String: String] = [:]) async throws
    -> ScenarioResult
{
    let parser = ScenarioParser()
    let scenario = try #require(
        parser.parse(file: "\(repositoryRoot)/Scenarios/test/t.yaml", text: yaml), "\(parser.diagnostics)")
    #expect(parser.diagnostics.isEmpty, "\(parser.diagnostics)")
    let profile = try CardProfile.load(path: "\(repositoryRoot)/Vectors/cards/\(name).yaml")
    var store = variables(profile, environment: environment)
    store.card["card.codes.a"] = profile.holder.myNumber
    store.card["card.codes.b"] = profile.holder.verificationCodeB
    store.card["card.revocation.crl"] = profile.chip.revocationList
    store.card["card.keys.common_ap"] = profile.chip.common.map { Hex.encode($0.key.publicKey.keyTemplate) }
    var execution = ScenarioExecution(
        channel: EmulatedChannel(card: EmulatedCard(profile: profile)), variables: store, asOf: profile.asOf,
        random: SeededRandomSource(seed: 5))
    return await execution.run(scenario)
}

extension Outcome {
    var failureMessage: String? {
        switch self {
        case .failed(let failure), .error(let failure): failure.message
        default: nil
        }
    }
}

@Suite("Content checks: formats, offset tables, sizes, keys")
struct ValueCheckTests {
    @Test(
        "Each format accepts what it names and refuses the rest",
        arguments: [
            (ValueFormat.myNumber, "123456789018", true), (.myNumber, "123456789010", false),
            (.myNumber, "987654321018", true), (.myNumber, "12345678901", false), (.myNumber, "12345678901X", false),
            (.date, "19800101", true), (.date, "19801301", false), (.date, "1980-1-1", false),
            (.date, "20240229", true), (.date, "20230229", false), (.sex, "1", true), (.sex, "9", true),
            (.sex, "3", false), (.digits, "0123", true), (.digits, "01a3", false), (.utf8, "山田", true),
        ])
    func textFormats(format: ValueFormat, text: String, good: Bool) {
        #expect((ValueChecks.problem(Array(text.utf8), format: format) == nil) == good, "\(format) \(text)")
    }

    @Test(
        "The check digit follows the ordinance: weights 2–7 then 2–6 from the right, mod 11, 0 for remainders 0 and 1")
    func checkDigits() {
        // Each of these twelve-digit numbers was built by the rule by hand: digit 12 is the check digit.
        for number in ["123456789018", "987654321018", "000000000000", "111111111118", "537686677188"] {
            let digits = number.map { Int(String($0))! }
            #expect(ValueChecks.myNumberCheckDigit(Array(digits.prefix(11))) == digits[11], "\(number)")
        }
        #expect(ValueChecks.problem([0xC0, 0xAF], format: .utf8) == "not valid UTF-8")
        #expect(ValueChecks.problem([], format: .digits) != nil)
    }

    @Test("Image formats: the committed files pass; a JPEG, a truncated PNG and colour are named")
    func images() throws {
        let images = "\(repositoryRoot)/Vectors/cards/images"
        let jp2 = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(images)/default-face.jp2")))
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(images)/default-face.jpg")))
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(images)/default-name.png")))
        #expect(ValueChecks.problem(jp2, format: .jp2) == nil)
        #expect(ValueChecks.problem(png, format: .png) == nil)
        #expect(ValueChecks.problem(jpeg, format: .jp2) == "a JPEG, not JPEG 2000")
        #expect(ValueChecks.problem(Array(png.dropLast()), format: .png)?.contains("IEND") == true)
        #expect(ValueChecks.problem(jp2, format: .png) == "no PNG signature")
        var colour = png
        colour[25] = 2
        #expect(ValueChecks.problem(colour, format: .png)?.contains("colour type 2") == true)
    }

    @Test("Offset tables: the text AP's example is consistent; one byte off or one entry short is named")
    func offsetTables() throws {
        let good = try Hex.decode(
            "FF2056DF2108000E0020004A0055DF220FE5B1B1E794B0E38080E5A4AAE9838EDF2327E69DB1E4BAACE983BDE58D83E4BBA3"
                + "E794B0E58CBAE58D83E4BBA3E794B0EFBC91EFBC8DEFBC91DF24083139383030313031DF250131")
        let path = [try BERTag(hex: "FF20"), try BERTag(hex: "DF21")]
        #expect(ValueChecks.offsetTableProblem(data: good, path: path) == nil)
        var late = good
        late[7] = 0x0F
        #expect(
            ValueChecks.offsetTableProblem(data: late, path: path)
                == "entry 0 says 000F but the object it names starts at 000E")
        #expect(ValueChecks.offsetTableProblem(data: good, path: [path[0]])?.contains("inside another") == true)
        #expect(
            ValueChecks.offsetTableProblem(data: good, path: [path[0], try BERTag(hex: "DF22")])?.contains(
                "odd number") == true)
    }

    @Test(
        "A read pattern sizes any BER-TLV file from its header",
        arguments: [
            ("3082 03B7", 951 + 4), ("FF20 56", 3 + 0x56), ("FF20 82 1C00", 5 + 0x1C00), ("7F21 82 0233", 568),
            ("FF30 82 014B", 336), ("01 1C", 30), ("FFFF", nil), ("00 00", nil), ("FF20", nil), ("30 84 00000001", nil),
        ] as [(String, Int?)])
    func tlvSizes(header: String, size: Int?) throws {
        #expect(ScenarioExecution.tlvSize(try Hex.decode(header)) == size, "\(header)")
    }

    @Test("Public keys come from a CV certificate, a 90/91 template, a SubjectPublicKeyInfo or a certificate")
    func publicKeys() throws {
        let profile = try defaultProfile()
        let key = try RSAPrivateKey(
            pemRepresentation: String(
                contentsOfFile: "\(repositoryRoot)/Vectors/keys/default-common-ap.pem", encoding: .utf8))
        #expect(ValueChecks.publicKey(from: key.publicKey.keyTemplate) == key.publicKey)
        #expect(ValueChecks.publicKey(from: key.publicKey.derRepresentation) == key.publicKey)
        let certificate = profile.jpki.authenticationCertificate
        #expect(
            ValueChecks.publicKey(from: certificate + [0xFF, 0xFF])
                == (try CertificateSummary(derEncoded: certificate)).publicKey)
        var card = EmulatedCard(profile: profile)
        _ = card.process(try Hex.decode("00A4040C0AD3921000310001010408"))
        _ = card.process(try Hex.decode("00A4020C020004"))
        let cv =
            Array(card.process(try Hex.decode("00B0000000")).dropLast(2))
            + Array(card.process(try Hex.decode("00B0010000")).dropLast(2))
            + Array(card.process(try Hex.decode("00B0020038")).dropLast(2))
        #expect(cv.count == 568)
        #expect(ValueChecks.publicKey(from: cv) == profile.chip.issuer?.municipality.publicKey)
        #expect(ValueChecks.publicKey(from: [0x90, 0x01, 0x03]) == nil)
    }
}

@Suite("Template functions for card files")
struct ChipTemplateFunctionTests {
    func evaluate(_ text: String, captures: [String: [UInt8]] = [:]) throws -> [UInt8] {
        var store = VariableStore(card: ["card.keys.common_ap": "90030100019101FF"], environment: [:])
        store.captures = captures
        var evaluator = TemplateEvaluator(store: store, random: SeededRandomSource(seed: 1))
        let template = try Template.parse(text, at: SourceLocation(file: "t", line: 1, column: 1))
        return try evaluator.hex(template).bytes
    }

    @Test("tlv_value and tlv_object find by path; tlv_object keeps the bytes as written, non-minimal length too")
    func tlvFunctions() throws {
        // DF22 written with a non-minimal length 81 02.
        let file = try Hex.decode("FF 20 0B DF 21 02 00 08 DF 22 81 02 41 42")
        #expect(try evaluate("${tlv_value(f, \"FF20/DF22\")}", captures: ["f": file]) == [0x41, 0x42])
        #expect(
            try evaluate("${tlv_object(f, \"FF20/DF22\")}", captures: ["f": file]) == [
                0xDF, 0x22, 0x81, 0x02, 0x41, 0x42,
            ])
        #expect(try evaluate("${tlv_value(f, \"FF20\")}", captures: ["f": file]).count == 11)
        #expect(throws: EvaluationError.self) { try evaluate("${tlv_value(f, \"FF20/DF23\")}", captures: ["f": file]) }
    }

    @Test("concat, unhex and digestinfo_prehashed")
    func otherFunctions() throws {
        #expect(try evaluate("${concat(\"A\", \"B\", hex(\"C\"))}") == [0x41, 0x42, 0x43])
        #expect(try evaluate("${unhex(card.keys.common_ap)}") == [0x90, 0x03, 0x01, 0x00, 0x01, 0x91, 0x01, 0xFF])
        #expect(throws: EvaluationError.self) { try evaluate("${unhex(\"4G\")}") }
        let three = [UInt8](repeating: 0xAA, count: 96)
        let info = try evaluate("${digestinfo_prehashed(sha256, x)}", captures: ["x": three])
        #expect(Array(info.prefix(19)) == (try Hex.decode("3071300D060960864801650304020105000460")))
        #expect(info.count == 115)
        // With one 32-byte hash it is the ordinary DigestInfo.
        let hash = HashAlgorithm.sha256.hash([1, 2, 3])
        #expect(
            try evaluate("${digestinfo_prehashed(sha256, x)}", captures: ["x": hash])
                == DigestInfo.encode(.sha256, digest: hash))
    }

    @Test("CHANGE KEY's new PIN is masked like VERIFY's, whatever produced it")
    func changeKeyMasked() throws {
        var apdu = EvaluatedBytes()
        apdu.append(try Hex.decode("80 32 00 80 04 34 33 32 31"), secret: false)
        #expect(ScenarioExecution.masked(apdu) == "80 32 00 80 04 ********")
        var other = EvaluatedBytes()
        other.append(try Hex.decode("00 32 00 80 04 34 33 32 31"), secret: false)
        #expect(ScenarioExecution.masked(other) == "00 32 00 80 04 34 33 32 31")
    }
}

@Suite("Chip expectations on the emulated card")
struct ChipExpectationTests {
    @Test("A computed value that differs fails with both values; data: ${capture} compares exactly")
    func computedValues() async throws {
        let failing = try await runChip(
            """
            id: T
            title: t
            steps:
              - select: text
              - verify: { ef: "0011", pin: "${card.pins.text}" }
              - select: { ef: "0001" }
              - apdu: 00 B0 00 00 11
                capture: number
              - read: { ef: "0003", pattern: jpki-myna }
                expect: { tlv: [{ path: FF30/DF31, value: "${sha256(concat(number, \\"x\\"))}" }] }
            """)
        #expect(failing.outcome.failureMessage == "TLV FF30/DF31: value differs")
        let data = try await runChip(
            """
            id: T
            title: t
            steps:
              - select: juki
              - read_record: { record: 1, sfi: 2 }
                capture: first
              - read_record: { record: 1, sfi: 2 }
                expect: { data: "${first}" }
              - read_record: { record: 1, sfi: 2 }
                expect: { data_prefix: "${tlv_value(concat(hex(\\"\\"), unhex(\\"0403363030\\")), \\"04\\")}" }
              - read_record: { record: 1, sfi: 2 }
                expect: { data: "${concat(first, first)}" }
            """)
        #expect(data.outcome.failureMessage == "data differs")
    }

    @Test("A signature inside the data is found by path; a wrong key or a missing object fails clearly")
    func signatureByPath() async throws {
        let wrongKey = try await runChip(
            """
            id: T
            title: t
            steps:
              - select: text
              - verify: { ef: "0011", pin: "${card.pins.text}" }
              - read: { ef: "0007", pattern: jpki-myna }
                capture: record
              - read: { ef: "0007", pattern: jpki-myna }
                expect:
                  signature:
                    public_key: ${tlv_value(record, "FF50/DF51")}
                    path: FF50/DF52
                    message: ${tlv_object(record, "FF50/DF51")}
            """)
        #expect(
            wrongKey.outcome.failureMessage?.hasPrefix("the signature does not verify") == true, "\(wrongKey.outcome)")
        let missing = try await runChip(
            """
            id: T
            title: t
            steps:
              - select: text
              - read: { ef: "0004", pattern: jpki-myna }
                capture: cv
              - read: { ef: "0004", pattern: jpki-myna }
                expect: { signature: { public_key: "${cv}", path: FF50/DF52, message: x } }
            """)
        #expect(missing.outcome.failureMessage == "signature: no FF50/DF52 in the data")
    }

    @Test("before / not_before judge a YYYYMMDD value against the card's date")
    func dates() async throws {
        let result = try await runChip(
            """
            id: T
            title: t
            steps:
              - select: visual
              - verify: { ef: "0012", pin: "${card.codes.b}" }
              - read: { ef: "0002", pattern: jpki-myna }
                expect: { tlv: [{ path: FF20/DF29, not_before: as_of }, { path: FF20/DF22, before: as_of }] }
              - read: { ef: "0002", pattern: jpki-myna }
                expect: { tlv: [{ path: FF20/DF29, before: 2035-01-01 }] }
            """)
        #expect(result.outcome.failureMessage == "TLV FF20/DF29: not before 2035-01-01")
    }

    @Test("not_valid_on fails on a valid certificate; the CRL check fails on a wrong issuer and a wrong status")
    func certificateChecks() async throws {
        let valid = try await runChip(
            """
            id: T
            title: t
            steps:
              - select: jpki
              - read: { ef: "000A" }
                expect: { certificate: { not_valid_on: as_of } }
            """)
        #expect(valid.outcome.failureMessage == "certificate: valid on 2026-11-24")
        let wrongIssuer = try await runChip(
            """
            id: T
            title: t
            steps:
              - select: jpki
              - read: { ef: "0002" }
                capture: sign_ca
              - read: { ef: "000A" }
                expect: { certificate: { revocation: { issuer: "${sign_ca}", crl: "${card.revocation.crl}", status: good } } }
            """)
        #expect(wrongIssuer.outcome.failureMessage?.contains("is not signed by the issuer given") == true)
        let relative = try await runChip(
            """
            id: T
            title: t
            steps:
              - select: jpki
              - read: { ef: "000B" }
                capture: ca
              - read: { ef: "000A" }
                expect: { certificate: { revocation: { issuer: "${ca}", crl: ../../Vectors/revocation/jpki-auth-ca.crl, status: revoked } } }
            """, profile: "revoked-auth-certificate")
        #expect(relative.outcome == .passed, "a CRL path is relative to the scenario file")
        let missing = try await runChip(
            """
            id: T
            title: t
            steps:
              - select: jpki
              - read: { ef: "000B" }
                capture: ca
              - read: { ef: "000A" }
                expect: { certificate: { revocation: { issuer: "${ca}", crl: nowhere.crl, status: good } } }
            """)
        guard case .error(let failure) = missing.outcome else {
            Issue.record("a missing CRL is the harness's problem, not the card's: \(missing.outcome)")
            return
        }
        #expect(failure.message.contains("cannot read the CRL 'nowhere.crl'"))
    }

    @Test("needs_env: without the variable the scenario is skipped with the reason; with it, it runs")
    func neededEnvironment() async throws {
        let yaml = """
            id: T
            title: t
            needs_env: [SOME_URL]
            steps:
              - select: jpki
            """
        let skipped = try await runChip(yaml)
        #expect(skipped.outcome == .skipped(reason: "needs the environment variable SOME_URL, which is not set"))
        #expect(skipped.transcript.isEmpty)
        #expect(try await runChip(yaml, environment: ["SOME_URL": "x"]).outcome == .passed)
    }
}

/// `openssl ocsp` started by the test on a free loopback port, stopped by its PID.
final class OCSPResponder {
    let process = Process()
    let url: String
    private let directory: URL

    /// `signer`: the certificate the answers are signed under (PEM; default the auth CA's), with `signingKey`.
    init(signer: String? = nil, signingKey: String = "\(repositoryRoot)/Vectors/keys/jpki-auth-ca.pem") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ocsp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let revocation = "\(repositoryRoot)/Vectors/revocation"
        try FileManager.default.copyItem(
            atPath: "\(revocation)/index.txt", toPath: directory.appendingPathComponent("index.txt").path)
        try "unique_subject = no\n".write(
            to: directory.appendingPathComponent("index.txt.attr"), atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "ocsp", "-index", directory.appendingPathComponent("index.txt").path, "-CA",
            "\(revocation)/jpki-auth-ca.pem",
            "-rsigner", signer ?? "\(revocation)/jpki-auth-ca.pem", "-rkey", signingKey, "-port", "0", "-ignore_err",
        ]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        var port: String?
        for _ in 0..<200 where port == nil {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            // "ACCEPT [::]:41234 PID=…"
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT ") }),
                let colon = line.split(separator: " ")[1].lastIndex(of: ":")
            {
                port = String(line.split(separator: " ")[1][line.split(separator: " ")[1].index(after: colon)...])
            } else {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        url = "http://127.0.0.1:\(port ?? "0")"
        if port == nil { stop() }
    }

    func stop() {
        // By PID; SIGKILL, since a test runner may start children with SIGTERM blocked.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("Revocation by OCSP against openssl ocsp", .serialized)
struct OCSPTests {
    static let scenario = """
        id: T
        title: t
        steps:
          - select: jpki
          - read: { ef: "000B" }
            capture: ca
          - read: { ef: "000A" }
            expect: { certificate: { revocation: { issuer: "${ca}", ocsp: "${env.OCSP}", status: STATUS } } }
        """

    @Test("The responder says good for the default card and revoked for the revoked one; the wrong claim fails")
    func statuses() async throws {
        let responder = try OCSPResponder()
        defer { responder.stop() }
        let environment = ["OCSP": responder.url]
        let good = Self.scenario.replacingOccurrences(of: "STATUS", with: "good")
        let revoked = Self.scenario.replacingOccurrences(of: "STATUS", with: "revoked")
        #expect(try await runChip(good, environment: environment).outcome == .passed)
        #expect(
            try await runChip(revoked, profile: "revoked-auth-certificate", environment: environment).outcome == .passed
        )
        let wrong = try await runChip(revoked, environment: environment)
        #expect(wrong.outcome.failureMessage == "revocation: the OCSP responder at \(responder.url) says good")
        // The second card's certificate is in the responder's database too.
        #expect(try await runChip(good, profile: "second-card", environment: environment).outcome == .passed)
    }

    @Test("An answer signed by a key that is not the CA's is not trusted")
    func untrustedResponder() async throws {
        // A well-formed answer, signed by the signing CA (a real key and certificate, but not this certificate's CA).
        let signer = FileManager.default.temporaryDirectory.appendingPathComponent("signer-\(UUID().uuidString).pem")
        defer { try? FileManager.default.removeItem(at: signer) }
        let der = try defaultProfile().jpki.signingCA
        let pem =
            "-----BEGIN CERTIFICATE-----\n"
            + Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END CERTIFICATE-----\n"
        try pem.write(to: signer, atomically: true, encoding: .utf8)
        let responder = try OCSPResponder(
            signer: signer.path, signingKey: "\(repositoryRoot)/Vectors/keys/jpki-sign-ca.pem")
        defer { responder.stop() }
        let result = try await runChip(
            Self.scenario.replacingOccurrences(of: "STATUS", with: "good"), environment: ["OCSP": responder.url])
        let message = result.outcome.failureMessage ?? "\(String(describing: result.outcome))"
        #expect(message.contains("cannot be trusted"), "\(message)")
    }

    @Test("Only loopback responders: another host is refused before anything is sent; a closed port is named")
    func loopbackOnly() async throws {
        for (url, words) in [
            ("http://192.0.2.1:80", "must be on loopback"), ("https://127.0.0.1:1", "is not an http:// URL"),
            ("http://127.0.0.1:1", "cannot reach the OCSP responder"),
        ] {
            let result = try await runChip(
                Self.scenario.replacingOccurrences(of: "STATUS", with: "good"), environment: ["OCSP": url])
            guard case .error(let failure) = result.outcome else {
                Issue.record("\(url): \(result.outcome)")
                continue
            }
            #expect(failure.message.contains(words), "\(failure.message)")
        }
    }
}
