import APDU
import CardCrypto
import Foundation
import YAMLSource

extension CardProfile {
    /// Reads a card profile. Every problem is a diagnostic naming the file, line and column and what is wrong;
    /// key files are read relative to the profile's own folder.
    public static func load(path: String) throws(Diagnostic) -> CardProfile {
        let file = try YAMLFile.load(path: path)
        var profile = try ProfileReader(file: file).read()
        try ChipProfileReader(file: file).complete(&profile)
        return profile
    }

    public static func parse(_ text: String, path: String) throws(Diagnostic) -> CardProfile {
        let file = try YAMLFile.parse(text, path: path)
        var profile = try ProfileReader(file: file).read()
        try ChipProfileReader(file: file).complete(&profile)
        return profile
    }
}

/// The validity every test CA certificate has: long before the first card and long after committed data's dates.
private let caValidity = (
    notBefore: CalendarDate(year: 2014, month: 1, day: 1)!, notAfter: CalendarDate(year: 2045, month: 12, day: 31)!
)

struct ProfileReader {
    let file: YAMLFile
    var directory: String { (file.path as NSString).deletingLastPathComponent }

    func read() throws(Diagnostic) -> CardProfile {
        let root = try file.root.mapping(allowing: [
            "profile", "description", "as_of", "atr", "holder", "pins", "jpki", "behaviour", "timing", "contactless",
            "card_issuer", "text_ap", "visual_ap", "juki_ap", "common_ap", "faults", "revocation", "free_area",
            "expected_failures", "based_on",
        ])
        let name = try root.required("profile").string()
        let asOf = try date(root.required("as_of"))
        let holder = try readHolder(root.required("holder"))
        let pins = try readPINs(root.required("pins"))
        var atr = CardProfile.contactATR
        if let node = root["atr"] {
            atr = try hex(node)
            // ISO/IEC 7816-3: TS is 3B or 3F, and an ATR has at most 33 bytes (a reader refuses longer ones).
            guard (2...33).contains(atr.count), atr[0] == 0x3B || atr[0] == 0x3F else {
                throw node.error("an ATR is 2 to 33 bytes starting with 3B or 3F; found \(atr.count) byte(s)")
            }
        }
        // The fault atr_check_byte: a wrong TCK, so a client or reader that checks the ATR refuses the card.
        if ChipProfileReader.declaredFaults(in: file).contains(.atrCheckByte) { atr[atr.count - 1] ^= 0x01 }
        var behaviour = CardBehaviour()
        if let node = root["behaviour"] { behaviour = try readBehaviour(node) }
        let jpki = try readJPKI(root.required("jpki"), holder: holder, profileName: name)
        let pinsNode = try root.required("pins")
        var needed: [(String, CredentialFormat)] = [("auth", .fourDigits)]
        if jpki.signingCertificate != nil { needed.append(("sign", .signingPassword)) }
        for (pin, format) in needed {
            guard pins[pin] != nil else {
                throw pinsNode.error("missing key '\(pin)': the JPKI AP needs this credential")
            }
            try checkFormat(pins[pin], format, pin, pinsNode)
        }
        var profile = CardProfile(
            name: name,
            summary: try root["description"]?.string() ?? "",
            sourcePath: file.path,
            asOf: asOf,
            atr: atr,
            holder: holder,
            pins: pins,
            jpki: jpki,
            behaviour: behaviour
        )
        if let node = root["timing"] { profile.timing = try CardTiming.read(node) }
        if let node = root["contactless"] { profile.contactless = try ContactlessSetting.read(node, profileName: name) }
        return profile
    }

    /// A profile whose credential could never be entered by a client is a mistake, not a test; a deliberately
    /// malformed one belongs in a scenario's APDU.
    private func checkFormat(_ pin: PINSetting?, _ format: CredentialFormat, _ name: String, _ node: YAMLNode)
        throws(Diagnostic)
    {
        guard let pin, !format.accepts(Array(pin.value.utf8)) else { return }
        let mapping = try node.mapping(allowing: ["auth", "sign", "text", "juki"])
        throw (mapping[name] ?? node).error("the \(name) credential must be \(format)")
    }

    private func readHolder(_ node: YAMLNode) throws(Diagnostic) -> CardHolder {
        let map = try node.mapping(allowing: [
            "my_number", "name", "address", "birth_date", "sex", "card_expiry", "security_code", "municipality_code",
            "card_serial",
        ])
        let myNumberNode = try map.required("my_number")
        let myNumber = try myNumberNode.string()
        // A faulty profile may carry a wrong check digit on purpose; it must still be 12 digits.
        let faulty =
            ChipProfileReader.declaredFaults(in: file).contains(.myNumberCheckDigit) && myNumber.utf8.count == 12
            && myNumber.allSatisfy { $0.isASCII && $0.isNumber }
        guard CardHolder.isValidMyNumber(myNumber) || faulty else {
            throw myNumberNode.error("'\(myNumber)' is not a valid My Number (12 digits with a correct check digit)")
        }
        let sex = try map.required("sex").choice(["0", "1", "2", "9"])
        return CardHolder(
            myNumber: myNumber,
            name: try map.required("name").string(),
            address: try map.required("address").string(),
            birthDate: try date(map.required("birth_date")),
            sex: sex,
            cardExpiry: try map["card_expiry"].map { (node) throws(Diagnostic) in try date(node) }
        )
    }

    private func readPINs(_ node: YAMLNode) throws(Diagnostic) -> [String: PINSetting] {
        let map = try node.mapping(allowing: ["auth", "sign", "text", "juki"])
        var pins: [String: PINSetting] = [:]
        for key in map.keys {
            guard let entry = map[key] else { continue }
            // Either the value alone (`auth: "1234"`) or `{ value: "1234", tries_left: 1 }`.
            if case .scalar = entry.node {
                pins[key] = PINSetting(value: try entry.string(), triesLeft: nil)
            } else {
                let fields = try entry.mapping(allowing: ["value", "tries_left"])
                pins[key] = PINSetting(
                    value: try fields.required("value").string(),
                    triesLeft: try fields["tries_left"]?.int(in: 0...15)
                )
            }
        }
        return pins
    }

    private func readBehaviour(_ node: YAMLNode) throws(Diagnostic) -> CardBehaviour {
        let map = try node.mapping(allowing: ["malformed_pin", "empty_verify_after_success", "extended_length"])
        var behaviour = CardBehaviour()
        if let value = map["malformed_pin"] {
            behaviour.malformedPIN = CardBehaviour.MalformedPIN(
                rawValue: try value.choice(CardBehaviour.MalformedPIN.allCases.map(\.rawValue))
            )!
        }
        if let value = map["empty_verify_after_success"] {
            behaviour.emptyVerifyAfterSuccess = CardBehaviour.EmptyVerifyAfterSuccess(
                rawValue: try value.choice(CardBehaviour.EmptyVerifyAfterSuccess.allCases.map(\.rawValue))
            )!
        }
        if let value = map["extended_length"] { behaviour.extendedLength = try value.bool() }
        return behaviour
    }

    private func readJPKI(_ node: YAMLNode, holder: CardHolder, profileName: String) throws(Diagnostic) -> JPKIContent {
        let map = try node.mapping(allowing: [
            "token_label", "token_serial", "ca", "auth_certificate", "sign_certificate",
        ])
        let ca = try map.required("ca").mapping(allowing: ["auth_key", "sign_key"])
        let authCA = try makeCA(.authentication, keyNode: ca.required("auth_key"))
        let signCA = try makeCA(.signing, keyNode: ca.required("sign_key"))

        let authNode = try map.required("auth_certificate")
        let auth = try readCertificate(authNode, defaultSubject: "TESTAUTH", holder: holder, profileName: profileName)
        let authDER: [UInt8]
        do {
            authDER = try authCA.issueAuthenticationCertificate(
                subjectSerial: auth.subject, publicKey: auth.key.publicKey, serialNumber: auth.serial,
                notBefore: auth.issued, notAfter: auth.notAfter)
        } catch {
            throw authNode.error("cannot issue the authentication certificate: \(error)")
        }

        var signDER: [UInt8]?
        var signKey: RSAPrivateKey?
        // `sign_certificate: none` (or leaving the value empty) makes a card without one, as an under-15's is.
        if let signNode = map["sign_certificate"], !isNone(signNode) {
            let sign = try readCertificate(
                signNode, defaultSubject: "TESTSIGN", holder: holder, profileName: profileName)
            let certificateHolder = CertificateHolder(
                name: holder.name, sex: holder.sex, birthDate: holder.birthDate, address: holder.address)
            do {
                signDER = try signCA.issueSigningCertificate(
                    holder: certificateHolder, subjectSerial: sign.subject, publicKey: sign.key.publicKey,
                    serialNumber: sign.serial, notBefore: sign.issued, notAfter: sign.notAfter)
            } catch {
                throw signNode.error("cannot issue the signing certificate: \(error)")
            }
            signKey = sign.key
        } else if map["sign_certificate"] == nil {
            throw node.error("missing key 'sign_certificate' (write `sign_certificate: none` for a card without one)")
        }

        let label = try map["token_label"]?.string() ?? "JPKIAPICCTOKEN2"
        let serial = try map["token_serial"]?.string() ?? "0000000000000001"
        if let serialNode = map["token_serial"], serial.utf8.count > 16 {
            throw serialNode.error("a token serial has at most 16 characters")
        }
        if let labelNode = map["token_label"], label.utf8.count > 32 {
            throw labelNode.error("a token label has at most 32 characters")
        }
        return JPKIContent(
            tokenLabel: label, tokenSerial: serial,
            authenticationCertificate: authDER, authenticationCA: authCA.certificateDER,
            authenticationKey: auth.key,
            signingCertificate: signDER, signingCA: signCA.certificateDER, signingKey: signKey)
    }

    private func isNone(_ node: YAMLNode) -> Bool {
        guard case .scalar(let scalar) = node.node else { return false }
        return ["none", "null", "~", ""].contains(scalar.string.lowercased())
    }

    private struct CertificateSetting {
        var key: RSAPrivateKey
        var issued: CalendarDate
        var notAfter: CalendarDate
        var serial: [UInt8]
        var subject: String
    }

    private func readCertificate(
        _ node: YAMLNode, defaultSubject: String, holder: CardHolder, profileName: String
    ) throws(Diagnostic) -> CertificateSetting {
        let map = try node.mapping(allowing: ["key", "issued", "not_after", "serial", "subject"])
        let key = try loadKey(map.required("key"))
        let issued = try date(map.required("issued"))
        var notAfter = ElectronicCertificateValidity.expiry(issuedOn: issued, birthDate: holder.birthDate)
        if ChipProfileReader.declaredFaults(in: file).contains(.certificateValidityOneYear) {
            notAfter = issued.adding(years: 1).adding(days: -1)
        }
        if let node = map["not_after"] {
            notAfter = try date(node)
            guard notAfter >= issued else { throw node.error("not_after \(notAfter) is before issued \(issued)") }
        }
        // Defaults derived from the profile name keep two profiles' certificates apart without extra typing.
        let digest = HashAlgorithm.sha256.hash(Array("\(profileName)/\(defaultSubject)".utf8))
        var serial = [0x01] + Array(digest.prefix(3))
        if let node = map["serial"] {
            serial = try hex(node)
            guard !serial.isEmpty, serial.count <= 20 else { throw node.error("a serial number has 1 to 20 bytes") }
        }
        let subject =
            try map["subject"]?.string()
            ?? defaultSubject + digest.prefix(5).map { String($0 % 100).leftPadded(2) }.joined() + "A"
        return CertificateSetting(key: key, issued: issued, notAfter: notAfter, serial: serial, subject: subject)
    }

    private func makeCA(_ kind: JPKICertificateKind, keyNode: YAMLNode) throws(Diagnostic) -> JPKITestCA {
        let key = try loadKey(keyNode)
        do {
            return try JPKITestCA(kind: kind, key: key, notBefore: caValidity.notBefore, notAfter: caValidity.notAfter)
        } catch {
            throw keyNode.error("cannot make the test CA: \(error)")
        }
    }

    func loadKey(_ node: YAMLNode) throws(Diagnostic) -> RSAPrivateKey {
        let relative = try node.string()
        let path = relative.hasPrefix("/") ? relative : (directory as NSString).appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw node.error("cannot read key file '\(relative)' (looked at \(path))")
        }
        guard let pem = String(data: data, encoding: .utf8) else {
            throw node.error("key file '\(relative)' is not PEM text")
        }
        let key: RSAPrivateKey
        do {
            key = try RSAPrivateKey(pemRepresentation: pem)
        } catch {
            throw node.error("key file '\(relative)': \(error)")
        }
        guard key.modulusBitCount == 2048 else {
            throw node.error(
                "key file '\(relative)' holds a \(key.modulusBitCount)-bit key; the card's keys are RSA-2048")
        }
        return key
    }

    func date(_ node: YAMLNode) throws(Diagnostic) -> CalendarDate {
        let text = try node.string()
        guard let date = CalendarDate(iso: text) ?? CalendarDate(yyyymmdd: text) else {
            throw node.error("'\(text)' is not a date (write YYYY-MM-DD)")
        }
        return date
    }

    private func hex(_ node: YAMLNode) throws(Diagnostic) -> [UInt8] {
        let text = try node.string()
        do {
            return try Hex.decode(text)
        } catch {
            guard let column = error.offset, error.offsetUnit == .column else { throw node.error("bad hex: \(error)") }
            throw node.error("bad hex: \(error.message)", atColumnInValue: column)
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
