import APDU
import CardCrypto
import Foundation
import TestSupport
import Testing
import YAMLSource

@testable import CardEmulator

/// The profile sections beyond JPKI: a profile that would make a card no client could read is refused at load
/// with file:line:column, and a deliberate fault loads only where the profile says so.
extension CardProfileTests {
    /// The default profile with `find` replaced, loaded; returns the diagnostic and the line the replacement is on.
    func loadError(_ find: String, _ replace: String) throws -> (Diagnostic, path: String, line: Int, text: String) {
        let (path, line) = try variant(find, replace)
        defer {
            try? FileManager.default.removeItem(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path)
        }
        let text = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")[line - 1]
        do {
            _ = try CardProfile.load(path: path)
        } catch {
            return (error, path, line, text)
        }
        Issue.record("no error for \(replace)")
        return (Diagnostic("", at: nil), path, line, text)
    }

    static let attributesHex =
        "FF 20 56 DF 21 08 00 0E 00 20 00 4A 00 55 DF 22 0F E5 B1 B1 E7 94 B0 E3 80 80 E5 A4 AA E9 83 8E DF 23 27 E6 9D "
        + "B1 E4 BA AC E9 83 BD E5 8D 83 E4 BB A3 E7 94 B0 E5 8C BA E5 8D 83 E4 BB A3 E7 94 B0 EF BC 91 EF BC 8D EF BC "
        + "91 DF 24 08 31 39 38 30 30 31 30 31 DF 25 01 31"

    @Test("text_ap.files: a consistent EF 0002 loads and is served as given")
    func attributesOverride() throws {
        let (path, _) = try variant(
            "  session_key: ../keys/default-text-session.pem\n",
            "  session_key: ../keys/default-text-session.pem\n  files:\n    \"0002\": \(Self.attributesHex)\n")
        let profile = try CardProfile.load(path: path)
        #expect(profile.chip.text?.attributesFile == (try Hex.decode(Self.attributesHex)))
    }

    @Test("An inconsistent offset table is refused at the table entry's column")
    func badOffsetTable() throws {
        // Entry 1 says 00 21 where DF23 starts at 00 20.
        let bad = Self.attributesHex.replacingOccurrences(of: "00 0E 00 20 00 4A", with: "00 0E 00 21 00 4A")
        let (error, path, line, _) = try loadError(
            "  session_key: ../keys/default-text-session.pem\n",
            "  session_key: ../keys/default-text-session.pem\n  files:\n    \"0002\": \(bad)\n")
        let entry = "    \"0002\": \(bad)"
        let column = entry.distance(from: entry.startIndex, to: try #require(entry.range(of: "00 21")).lowerBound) + 1
        #expect(error.location == SourceLocation(file: path, line: line + 2, column: column), "\(error)")
        #expect(error.message.contains("offset table entry 1 says 0021 but DF23 starts at 0020"), "\(error)")
    }

    @Test(
        "EF 0001 and EF 0002 contents that no client could read are refused where they are wrong",
        arguments: [
            ("\"0001\": FF 10 0C 31 32 33 34 35 36 37 38 39 30 31 30 FF FF", "wrong check digit", "30 FF"),
            ("\"0001\": FF 10 0C 31 32 33 34 35 36 37 38 39 30 31 38 FF", "EF 0001 is 16 bytes", nil),
            ("\"0001\": FF 10 0C 39 38 37 36 35 34 33 32 31 30 31 38 FF FF", "but holder.my_number is", "39 38"),
            (
                "\"0002\": "
                    + attributesHex.replacingOccurrences(of: "DF 24 08 31 39 38 30", with: "DF 24 08 31 39 38 3A"),
                "is not a date YYYYMMDD", "DF 24"
            ),
            (
                "\"0002\": " + attributesHex.replacingOccurrences(of: "DF 22 0F E5 B1", with: "DF 22 0F C0 B1"),
                "name (DF22) is not valid UTF-8", "DF 22"
            ),
            (
                "\"0002\": " + attributesHex.replacingOccurrences(of: "DF 25 01 31", with: "DF 25 01 33"),
                "the sex (DF25) must be", "DF 25"
            ),
            ("\"0002\": FF 20 03 DF 22 00", "must hold DF21, DF22", "DF 22"),
        ] as [(String, String, String?)])
    func badTextFiles(entry: String, words: String, at: String?) throws {
        let (error, _, line, _) = try loadError(
            "  session_key: ../keys/default-text-session.pem\n",
            "  session_key: ../keys/default-text-session.pem\n  files:\n    \(entry)\n")
        #expect(error.location?.line == line + 2, "\(error)")
        #expect(error.message.contains(words), "\(error)")
        if let at {
            let column = entry.distance(from: entry.startIndex, to: entry.range(of: at)!.lowerBound) + 5
            #expect(error.location?.column == column, "\(error)")
        }
    }

    @Test(
        "Other semantic errors of the chip's sections point at the value",
        arguments: [
            (
                "face_photo: images/default-face.jp2", "face_photo: images/default-face.jpg",
                "is not a greyscale JPEG 2000 (JP2) image: it is a JPEG (FF D8 FF), not JPEG 2000"
            ),
            (
                "name: images/default-name.png", "name: images/default-face.jp2",
                "is not a 1-bit greyscale PNG image: it does not start with the PNG signature"
            ),
            ("address: images/default-address.png", "address: images/missing.png", "cannot read 'images/missing.png'"),
            ("security_code: \"2285\"", "security_code: \"228\"", "'228' is not 4 digits"),
            ("municipality_code: \"13101\"", "municipality_code: 13101x", "is not 5 digits"),
            (
                "  retry_limits: { pin: 3 }\n\ncommon_ap", "  retry_limits: { pin: 16 }\n\ncommon_ap",
                "16 is out of range 1...15"
            ),
            ("  juki: \"1234\"", "  juki: \"12a4\"", "the juki credential must be 4 digits"),
            ("auth_certificate: good", "auth_certificate: revoked", "the profile says 'revoked' but the CRL says good"),
            ("crl: ../revocation/jpki-auth-ca.crl", "crl: ../revocation/index.txt", "is not an X.509 CRL"),
        ] as [(String, String, String)])
    func chipSemanticErrors(find: String, replace: String, words: String) throws {
        let (error, path, line, _) = try loadError(find, replace)
        #expect(error.location?.file == path)
        #expect(error.location?.line == line, "\(error)")
        #expect(error.message.contains(words), "\(error)")
    }

    @Test("Structural errors: unknown fault, unknown AP key, a 券面 AP without card_issuer, tries_left given twice")
    func chipStructuralErrors() throws {
        let cases: [(String, String, String, Int)] = [
            (
                "revocation:", "faults: [text_ofset_table]\nrevocation:",
                "'text_ofset_table' is not one of: my_number_check_digit", 0
            ),
            (
                "  session_key: ../keys/default-text-session.pem\n",
                "  session_key: ../keys/default-text-session.pem\n  dat: unwritten\n",
                "unknown key 'dat' (did you mean 'data'?)", 1
            ),
            ("card_issuer:\n", "card_issuer_x:\n", "unknown key 'card_issuer_x'", 0),
        ]
        for (find, replace, words, below) in cases {
            let (error, _, line, _) = try loadError(find, replace)
            #expect(error.location?.line == line + below, "\(error)")
            #expect(error.message.contains(words), "\(error)")
        }
        let (path, _) = try variant(
            "  retry_limits: { pin: 3, code_a: 3, code_b: 3 }",
            "  retry_limits: { pin: 3, code_a: 3, code_b: 3 }\n  tries_left: { pin: 1 }")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: "  text: \"1234\"", with: "  text: { value: \"1234\", tries_left: 2 }")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: Diagnostic.self) { try CardProfile.load(path: path) }
        do { _ = try CardProfile.load(path: path) } catch {
            #expect(error.message.contains("pins.text already sets tries_left"), "\(error)")
        }
    }

    @Test("A card face over 32 767 bytes is refused: READ BINARY's 15-bit offset could not reach its end")
    func cardFaceTooLarge() throws {
        let (path, _) = try variant("name: images/default-name.png", "name: big.png")
        // A well-formed 1-bit PNG header, a 40 000-byte ancillary chunk, IEND.
        var png = CardImageFormat.pngSignature
        png += [0, 0, 0, 13] + Array("IHDR".utf8) + [0, 0, 1, 0, 0, 0, 0, 32, 1, 0, 0, 0, 0] + [0, 0, 0, 0]
        png += [0x00, 0x00, 0x9C, 0x40] + Array("zzZz".utf8) + [UInt8](repeating: 0x55, count: 40_000) + [0, 0, 0, 0]
        png += [0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        try Data(png).write(
            to: URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("big.png"))
        do {
            _ = try CardProfile.load(path: path)
            Issue.record("a 40 KB card face loaded")
        } catch {
            #expect(error.message.contains("READ BINARY's 15-bit offset reaches 32767"), "\(error)")
            #expect(error.message.hasPrefix("visual_ap: the card face (EF 0002) would be "), "\(error)")
        }
    }

    @Test("A wrong My Number check digit loads only when the profile declares my_number_check_digit")
    func declaredFault() throws {
        let profile = try loadProfile("faulty/my-number-check-digit")
        #expect(profile.holder.myNumber == "123456789010")
        #expect(profile.chip.faults == [.myNumberCheckDigit])
        let (error, _, line, _) = try loadError("my_number: \"123456789018\"", "my_number: \"123456789010\"")
        #expect(error.location?.line == line)
        #expect(error.message.contains("not a valid My Number"))
    }

    @Test("The card-face photo fault needs a photo that is not JPEG 2000")
    func photoFaultNeedsAJPEG() throws {
        let (path, _) = try variant("revocation:", "faults: [card_face_photo_format]\nrevocation:")
        do {
            _ = try CardProfile.load(path: path)
            Issue.record("loaded")
        } catch {
            #expect(error.message.contains("declares card_face_photo_format, but this photo is JPEG 2000"), "\(error)")
        }
    }

    @Test("照合番号B is era birth date + expiry year + security code; eras change on their first day")
    func verificationCodeB() throws {
        #expect(try loadProfile().holder.verificationCodeB == "55010120352285")
        #expect(try loadProfile("second-card").holder.verificationCodeB == "04071520327413")
        #expect(try loadProfile("under-15").holder.verificationCodeB == "27060120302285")
        let cases: [(CalendarDate, String?)] = [
            (CalendarDate(year: 1980, month: 2, day: 17)!, "550217"),
            (CalendarDate(year: 1989, month: 1, day: 7)!, "640107"),
            (CalendarDate(year: 1989, month: 1, day: 8)!, "010108"),
            (CalendarDate(year: 2019, month: 4, day: 30)!, "310430"),
            (CalendarDate(year: 2019, month: 5, day: 1)!, "010501"),
            (CalendarDate(year: 1926, month: 12, day: 25)!, "011225"),
            (CalendarDate(year: 1868, month: 1, day: 24)!, nil),
        ]
        for (date, expected) in cases { #expect(JapaneseEra.yymmdd(date) == expected, "\(date)") }
        #expect(
            VerificationCode.codeB(
                birthDate: CalendarDate(year: 1980, month: 2, day: 17)!,
                cardExpiry: CalendarDate(year: 2035, month: 2, day: 17)!,
                securityCode: "2285") == "55021720352285")
    }

    @Test("Image checks: real files pass; truncated, colour and bare codestreams are named")
    func imageChecks() throws {
        let images = "\(repositoryRoot)/Vectors/cards/images"
        let jp2 = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(images)/default-face.jp2")))
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(images)/default-name.png")))
        #expect(CardImageFormat.jp2Greyscale.problem(with: jp2) == nil)
        #expect(CardImageFormat.png1Bit.problem(with: png) == nil)
        #expect(CardImageFormat.png1Bit.problem(with: Array(png.dropLast(1)))?.contains("IEND") == true)
        var colour = png
        colour[25] = 2
        #expect(CardImageFormat.png1Bit.problem(with: colour)?.contains("colour type 2") == true)
        #expect(CardImageFormat.jp2Greyscale.problem(with: Array(jp2.dropLast(10)))?.contains("says") == true)
        #expect(
            CardImageFormat.jp2Greyscale.problem(with: [0xFF, 0x4F, 0xFF, 0x51, 0])?.contains("codestream") == true)
    }
}
