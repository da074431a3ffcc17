import APDU
import CardCrypto
import Foundation
import TestSupport
import Testing
import YAMLSource

@testable import CardEmulator

/// The faulty profiles of Vectors/cards/faulty/ and the JPKI faults they declare: each profile loads with one fault
/// and its expected failures, the loader refuses the keys where they do not belong, and each fault does its one
/// wrong thing on the wire while the same command on the default card is right.
@Suite("Faulty profiles")
struct FaultyProfileTests {
    static let names: [String] = {
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/Vectors/cards/faulty")) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.map { "faulty/" + $0.dropLast(5) }.sorted()
    }()

    @Test(
        "Every faulty profile loads by its folder name, with one fault and the requirements it must fail",
        arguments: names)
    func faultyProfileLoads(name: String) throws {
        let profile = try loadProfile(name)
        #expect(profile.name == name)
        #expect(profile.chip.faults.count == 1)
        #expect(!profile.chip.expectedFailures.isEmpty)
        #expect(Set(profile.chip.expectedFailures).count == profile.chip.expectedFailures.count)
    }

    /// A profile's settings as lines, without comments, blank lines, the keys that name and describe it or declare
    /// its faults, and with paths written from Vectors/cards/ (a faulty profile sits one folder deeper).
    static func settings(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n").compactMap { raw in
            // Whole-line comments go, and a trailing one after " #" (no committed value contains " #").
            if raw.trimmingCharacters(in: .whitespaces).hasPrefix("#") { return nil }
            var line = raw.components(separatedBy: " #")[0]
            while line.hasSuffix(" ") { line.removeLast() }
            let skipped = ["profile:", "description:", "faults:", "expected_failures:", "based_on:"]
            guard !line.isEmpty, !skipped.contains(where: line.hasPrefix) else { return nil }
            return line.replacingOccurrences(of: "../../", with: "../").replacingOccurrences(
                of: ": ../images/", with: ": images/")
        }
    }

    @Test(
        "A faulty profile is the card it is based on plus its fault: only the fault's own data line may differ",
        arguments: names)
    func copiesItsBase(name: String) throws {
        let profile = try loadProfile(name)
        let base = try Self.settings(profilePath(profile.chip.basedOn ?? "default"))
        let faulty = try Self.settings(profilePath(name))
        // The two faults that are data the loader would otherwise refuse change exactly one line each.
        let allowed: [CardFault: String] = [
            .myNumberCheckDigit: "  my_number: \"123456789010\"",
            .cardFacePhotoFormat: "    face_photo: images/default-face.jpg",
        ]
        let differing = faulty.enumerated().filter { $0.offset >= base.count || base[$0.offset] != $0.element }
        #expect(faulty.count == base.count, "\(name) has other keys than its base")
        let expected = profile.chip.faults.compactMap { allowed[$0] }
        #expect(differing.map(\.element) == expected, "\(name) differs from its base: \(differing.map(\.element))")
    }

    @Test("Faults live in Vectors/cards/faulty/ only: no profile outside it declares one")
    func faultsOnlyInTheFaultyFolder() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/Vectors/cards")
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        #expect(names.count >= 11)
        for name in names {
            let profile = try loadProfile(name)
            #expect(profile.chip.faults.isEmpty && profile.chip.expectedFailures.isEmpty, "\(name) declares a fault")
        }
    }

    @Test("--card finds a faulty profile as faulty/NAME; a missing one is named in the error")
    func locatorFindsTheFolder() throws {
        let path = try CardProfileLocator.path(for: "faulty/readable-auth-key")
        #expect(path.hasSuffix("Vectors/cards/faulty/readable-auth-key.yaml"), "\(path)")
        #expect(CardProfileLocator.availableProfiles().contains("faulty/readable-auth-key"))
        #expect(CardProfileLocator.availableProfiles().contains("default"))
        do {
            _ = try CardProfileLocator.load("no-such-profile")
            Issue.record("a missing profile loaded")
        } catch {
            #expect(error.message.contains("no card profile named 'no-such-profile'"), "\(error)")
        }
        for old in ["faulty-readable-auth-key", "readable-auth-key"] {
            do {
                _ = try CardProfileLocator.load(old)
                Issue.record("\(old) loaded")
            } catch {
                #expect(error.message.hasSuffix("did you mean 'faulty/readable-auth-key'?"), "\(error)")
            }
        }
    }

    // MARK: - What the loader refuses

    /// Loads the default profile with `tail` appended, in a private copy of the Vectors layout, and returns the
    /// error and the 1-based line of `tail`'s first line.
    func loadError(appending tail: String) throws -> (Diagnostic, line: Int) {
        let (path, _) = try CardProfileTests().variant("revocation:", tail + "\nrevocation:")
        defer {
            try? FileManager.default.removeItem(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path)
        }
        let first = tail.components(separatedBy: "\n")[0]
        let line =
            try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
            .firstIndex { $0 == first }.map { $0 + 1 } ?? 0
        do {
            _ = try CardProfile.load(path: path)
        } catch {
            return (error, line)
        }
        Issue.record("no error for \(tail)")
        return (Diagnostic("", at: nil), line)
    }

    @Test("expected_failures that is not a list is refused at its line and column")
    func notAList() throws {
        let (error, line) = try loadError(appending: "faults: [readable_auth_key]\nexpected_failures: JPKI-KEY-01")
        #expect(error.location?.line == line + 1)
        #expect(error.location?.column == 20)
        #expect(error.message == "expected_failures: expected a list, found a scalar", "\(error)")
    }

    @Test("A requirement listed twice is refused at the second, naming the first's line")
    func duplicate() throws {
        let (error, line) = try loadError(
            appending: "faults: [readable_auth_key]\nexpected_failures: [JPKI-KEY-01, KIOSK-01, JPKI-KEY-01]")
        #expect(error.location?.line == line + 1)
        #expect(error.location?.column == 44)
        #expect(error.message.contains("JPKI-KEY-01 is listed twice (first at line \(line + 1))"), "\(error)")
    }

    @Test("expected_failures and based_on belong to a faulty profile only")
    func onlyWithFaults() throws {
        for key in ["expected_failures: [JPKI-KEY-01]", "based_on: under-15"] {
            let (error, line) = try loadError(appending: key)
            #expect(error.location?.line == line)
            #expect(error.message.contains("belongs to a faulty profile: declare the card's `faults:` too"), "\(error)")
        }
    }

    @Test("based_on names a profile that exists")
    func basedOn() throws {
        let (error, line) = try loadError(appending: "faults: [readable_auth_key]\nbased_on: under-16")
        #expect(error.location?.line == line + 1)
        #expect(error.message.contains("no card profile named 'under-16' to be based on"), "\(error)")
        #expect(try loadProfile("faulty/under-15-presence-flags").chip.basedOn == "under-15")
    }

    @Test("An entry that is no requirement ID, or an empty list, is refused")
    func badEntries() throws {
        let (bad, _) = try loadError(appending: "faults: [readable_auth_key]\nexpected_failures: [jpki-key-01]")
        #expect(bad.message.contains("'jpki-key-01' is not a requirement ID"), "\(bad)")
        let (empty, _) = try loadError(appending: "faults: [readable_auth_key]\nexpected_failures: []")
        #expect(empty.message.contains("must fail at least one requirement"), "\(empty)")
    }

    // MARK: - Each JPKI fault on the wire

    @Test("atr_check_byte: TCK 15 instead of 14, the rest of the ATR unchanged")
    func atrCheckByte() throws {
        #expect(try loadProfile("faulty/atr-check-byte").atr == [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x15])
        #expect(try loadProfile().atr.last == 0x14)
    }

    @Test("foreign_aid_selected and select_answers_data_unasked: SELECT answers what it must not")
    func select() throws {
        let foreign = "00A4040C06A00000000101"
        var card = try makeCard("faulty/foreign-aid-selected")
        var good = try makeCard()
        #expect(try card.send(foreign) == "9000")
        #expect(try good.send(foreign) == "6A82")
        var fci = try makeCard("faulty/select-answers-data-unasked")
        #expect(try fci.send(selectJPKI) == "620F820138840A" + jpkiAID + "9000")
        #expect(try good.send(selectJPKI) == "9000")
    }

    @Test("token_label_padding: the label's 17 padding bytes are 00, not 20")
    func tokenLabel() throws {
        var card = try makeCard("faulty/token-label-padding")
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0006"))
        #expect(
            try card.send("00B0000020") == Hex.encode(ascii("JPKIAPICCTOKEN2")) + String(repeating: "00", count: 17)
                + "9000")
    }

    @Test("security_state_survives_reselect: after re-selecting the AP the auth key still signs")
    func securityState() throws {
        let sign = apdu("802A0097", data: [UInt8](repeating: 0x11, count: 51), le: 0)
        for (name, survives) in [("faulty/security-state-survives-reselect", true), ("default", false)] {
            var card = try makeCard(name)
            _ = try card.send(selectJPKI)
            #expect(try card.send(apdu("00200098", data: ascii("1234"))) == "9000")
            _ = try card.send(selectJPKI)
            let response = try card.exchange(sign)
            #expect((response.statusWord == .success) == survives, "\(name): \(response.statusWord)")
        }
    }

    @Test("auth_ca_certificate_mismatch and signing_certificate_unprotected: what EF 000B and 0001 hold and allow")
    func certificates() throws {
        var card = try makeCard("faulty/auth-ca-certificate-mismatch")
        let profile = try loadProfile("faulty/auth-ca-certificate-mismatch")
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("000B"))
        #expect(try card.exchange("00B0000004").data == Array(profile.jpki.signingCA.prefix(4)))
        #expect(profile.jpki.signingCA != profile.jpki.authenticationCA)
        var open = try makeCard("faulty/signing-certificate-unprotected")
        _ = try open.send(selectJPKI)
        _ = try open.send(selectEF("0001"))
        #expect(try open.send("00B0000002") == "30829000")
    }

    @Test("certificate_validity_one_year: both certificates end the day before the first anniversary of issue")
    func validity() throws {
        let profile = try loadProfile("faulty/certificate-validity-one-year")
        for der in [profile.jpki.authenticationCertificate, try #require(profile.jpki.signingCertificate)] {
            let summary = try CertificateSummary(derEncoded: der)
            #expect(summary.notAfter == CalendarDate(year: 2026, month: 3, day: 31))
        }
        let good = try CertificateSummary(derEncoded: try loadProfile().jpki.authenticationCertificate)
        #expect(good.notAfter > CalendarDate(year: 2026, month: 11, day: 24)!)
    }

    @Test("empty_verify_spends_try, auth_pin_five_tries, signing_password_three_tries: what an empty VERIFY says")
    func counters() throws {
        var spends = try makeCard("faulty/empty-verify-spends-try")
        _ = try spends.send(selectJPKI)
        #expect(try spends.send("00200098") == "63C2")
        #expect(try spends.send("00200098") == "63C1")
        var five = try makeCard("faulty/auth-pin-five-tries")
        _ = try five.send(selectJPKI)
        #expect(try five.send("00200098") == "63C5")
        var three = try makeCard("faulty/signing-password-three-tries")
        _ = try three.send(selectJPKI)
        #expect(try three.send("0020009B") == "63C3")
        var good = try makeCard()
        _ = try good.send(selectJPKI)
        #expect(try good.send("00200098") == "63C3")
        #expect(try good.send("00200098") == "63C3")
        #expect(try good.send("0020009B") == "63C5")
    }

    @Test("change_pin_accepts_malformed: 43A1 is stored and verifies afterwards")
    func changePIN() throws {
        for (name, answer) in [("faulty/change-pin-accepts-malformed", "9000"), ("default", "6A80")] {
            var card = try makeCard(name)
            _ = try card.send(selectJPKI)
            _ = try card.send(apdu("00200098", data: ascii("1234")))
            #expect(try card.send(apdu("00240198", data: ascii("43A1"))) == answer, "\(name)")
        }
    }

    @Test("auth_pin_unlocks_signing_key and signing_key_is_auth_key: the signing key's rule and key")
    func signingKey() throws {
        let digestInfo = DigestInfo.encode(.sha256, digest: HashAlgorithm.sha256.hash(ascii("契約書")))
        var unlocked = try makeCard("faulty/auth-pin-unlocks-signing-key")
        _ = try unlocked.send(selectJPKI)
        _ = try unlocked.send(apdu("00200098", data: ascii("1234")))
        #expect(try unlocked.exchange(apdu("802A009A", data: digestInfo, le: 0)).statusWord == .success)
        var swapped = try makeCard("faulty/signing-key-is-auth-key")
        let profile = try loadProfile("faulty/signing-key-is-auth-key")
        _ = try swapped.send(selectJPKI)
        _ = try swapped.send(apdu("0020009B", data: ascii("ABC123")))
        let signature = try swapped.exchange(apdu("802A009A", data: digestInfo, le: 0)).data
        #expect(profile.jpki.authenticationKey.publicKey.isValidPKCS1v15(signature: signature, raw: digestInfo))
        let signingKey = try #require(profile.jpki.signingKey)
        #expect(!signingKey.publicKey.isValidPKCS1v15(signature: signature, raw: digestInfo))
    }

    @Test("auth_signature_padding_type_2: the signature is the key's operation on 00 02 FF…FF 00 DigestInfo")
    func padding() throws {
        let digestInfo = DigestInfo.encode(.sha256, digest: HashAlgorithm.sha256.hash(ascii("mynaconf")))
        var card = try makeCard("faulty/auth-signature-padding")
        let key = try loadProfile("faulty/auth-signature-padding").jpki.authenticationKey
        _ = try card.send(selectJPKI)
        _ = try card.send(apdu("00200098", data: ascii("1234")))
        let signature = try card.exchange(apdu("802A0097", data: digestInfo, le: 0)).data
        let block = [0x00, 0x02] + [UInt8](repeating: 0xFF, count: 256 - 3 - digestInfo.count) + [0x00] + digestInfo
        #expect(signature == (try key.privateOperation(block)))
        #expect(!key.publicKey.isValidPKCS1v15(signature: signature, raw: digestInfo))
    }

    @Test("readable_auth_key: EF 0017 reads as the PKCS#8 DER of the auth key; the default card refuses it")
    func readableKey() throws {
        var card = try makeCard("faulty/readable-auth-key")
        let key = try loadProfile("faulty/readable-auth-key").jpki.authenticationKey
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0017"))
        var read: [UInt8] = []
        while true {
            let response = try card.exchange(
                apdu("00B0" + Hex.encode([UInt8(read.count >> 8), UInt8(read.count & 0xFF)]), le: 0))
            guard response.statusWord == .success else { break }
            read += response.data
        }
        #expect(read == key.derRepresentation)
        var good = try makeCard()
        _ = try good.send(selectJPKI)
        _ = try good.send(selectEF("0017"))
        #expect(try good.send("00B0000000") == "6981")
    }

    @Test("read_binary_overrun: Le bytes with zeros past the end, in the JPKI AP only")
    func overrun() throws {
        var card = try makeCard("faulty/read-binary-overrun")
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0008"))
        #expect(try card.send("00B0000010") == "8F8F00" + String(repeating: "00", count: 13) + "9000")
        #expect(try card.send("00B0000301") == "6B00")
        var good = try makeCard()
        _ = try good.send(selectJPKI)
        _ = try good.send(selectEF("0008"))
        #expect(try good.send("00B0000010") == "8F8F009000")
    }
}
