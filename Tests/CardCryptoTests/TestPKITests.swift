import CardCrypto
import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import Testing
@_spi(FixedExpiryValidationTime) import X509

/// The JPKI-like test PKI, checked through swift-certificates (and so swift-crypto), not through the code that
/// built it.
@Suite("Test PKI")
struct TestPKITests {
    let authCA: JPKITestCA
    let signCA: JPKITestCA
    let cardAuthKey: RSAPrivateKey
    let cardSignKey: RSAPrivateKey
    let holder = CertificateHolder(
        name: "山田　太郎",
        sex: "1",
        birthDate: Fixtures.date("1980-05-02"),
        address: "東京都千代田区霞が関２－１－２"
    )
    static let subjectSerial = "TEST0000000000000000001"

    init() throws {
        self.authCA = try JPKITestCA(
            kind: .authentication,
            key: try Fixtures.key("jpki-auth-ca"),
            notBefore: Fixtures.date("2020-01-01"),
            notAfter: Fixtures.date("2039-12-31")
        )
        self.signCA = try JPKITestCA(
            kind: .signing,
            key: try Fixtures.key("jpki-sign-ca"),
            notBefore: Fixtures.date("2020-01-01"),
            notAfter: Fixtures.date("2039-12-31")
        )
        self.cardAuthKey = try Fixtures.key("default-auth")
        self.cardSignKey = try Fixtures.key("default-sign")
    }

    func authCertificate(serial: [UInt8] = [0x01, 0x2D, 0x57, 0xCA]) throws -> [UInt8] {
        try self.authCA.issueAuthenticationCertificate(
            subjectSerial: Self.subjectSerial,
            publicKey: self.cardAuthKey.publicKey,
            serialNumber: serial,
            notBefore: Fixtures.date("2025-01-10"),
            notAfter: Fixtures.date("2030-05-02")
        )
    }

    func signCertificate(holder: CertificateHolder? = nil) throws -> [UInt8] {
        try self.signCA.issueSigningCertificate(
            holder: holder ?? self.holder,
            subjectSerial: Self.subjectSerial,
            publicKey: self.cardSignKey.publicKey,
            serialNumber: [0x02, 0x00],
            notBefore: Fixtures.date("2025-01-10"),
            notAfter: Fixtures.date("2030-05-02")
        )
    }

    static func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.date(from: text)!
    }

    static func validates(leaf: [UInt8], root: [UInt8], at time: Date, policy: JPKIPolicy?) async throws -> Bool {
        let root = try Certificate(derEncoded: root)
        let leaf = try Certificate(derEncoded: leaf)
        let result: CertificateValidationResult
        if let policy {
            var verifier = Verifier(rootCertificates: CertificateStore([root])) {
                RFC5280Policy(fixedExpiryValidationTime: time)
                policy
            }
            result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
        } else {
            var verifier = Verifier(rootCertificates: CertificateStore([root])) {
                RFC5280Policy(fixedExpiryValidationTime: time)
            }
            result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
        }
        if case .validCertificate = result {
            return true
        }
        return false
    }

    // MARK: CA

    @Test("The CA certificates are self-signed CAs with the J-LIS-shaped name", arguments: JPKICertificateKind.allCases)
    func caCertificate(kind: JPKICertificateKind) throws {
        let ca = kind == .authentication ? self.authCA : self.signCA
        let certificate = try Certificate(derEncoded: ca.certificateDER)
        let unit = kind == .authentication ? "JPKI for user authentication" : "JPKI for digital signature"
        #expect(
            certificate.subject.description
                == "OU=Japan Agency for Local Authority Information Systems,OU=\(unit),O=JPKI-TEST,C=JP"
        )
        #expect(JPKITestCA.subjectName(for: kind) == certificate.subject.description)
        #expect(certificate.issuer == certificate.subject)
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(certificate.signatureAlgorithm == .sha256WithRSAEncryption)
        #expect(certificate.version == .v3)
        #expect(Array(certificate.serialNumber.bytes) == [0x01])
        #expect(Array(certificate.publicKey.subjectPublicKeyInfoBytes) == Array(try publicKeyBits(ca.key.publicKey)))

        let extensions = certificate.extensions
        #expect(
            extensions.map(\.oid) == [
                .X509ExtensionID.basicConstraints, .X509ExtensionID.keyUsage, .X509ExtensionID.subjectKeyIdentifier,
            ]
        )
        #expect(try extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
        #expect(extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        #expect(try extensions.keyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
        #expect(extensions[oid: .X509ExtensionID.keyUsage]?.critical == true)
        // RFC 5280 method 1, computed here with swift-crypto.
        let expectedSKI = Array(Insecure.SHA1.hash(data: Array(certificate.publicKey.subjectPublicKeyInfoBytes)))
        #expect(try extensions.subjectKeyIdentifier.map { Array($0.keyIdentifier) } == expectedSKI)
        // OpenSSL's reading agrees.
        let summary = try CertificateSummary(derEncoded: ca.certificateDER)
        #expect(summary.isSigned(by: ca.key.publicKey))
        #expect(summary.notBefore == Fixtures.date("2020-01-01"))
        #expect(summary.notAfter == Fixtures.date("2039-12-31"))
    }

    func publicKeyBits(_ key: RSAPublicKey) throws -> ArraySlice<UInt8> {
        try Certificate.PublicKey(derEncoded: key.derRepresentation).subjectPublicKeyInfoBytes
    }

    // MARK: Authentication certificate

    @Test("The authentication certificate has exactly the real card's profile")
    func authenticationProfile() throws {
        let der = try self.authCertificate()
        let certificate = try Certificate(derEncoded: der)
        let ca = try Certificate(derEncoded: self.authCA.certificateDER)
        #expect(certificate.issuer == ca.subject)
        #expect(certificate.subject.description == "CN=\(Self.subjectSerial),C=JP")
        #expect(certificate.version == .v3)
        #expect(certificate.signatureAlgorithm == .sha256WithRSAEncryption)
        #expect(Array(certificate.serialNumber.bytes) == [0x01, 0x2D, 0x57, 0xCA])
        #expect(
            _RSA.Signing.PublicKey(certificate.publicKey)?.derRepresentation
                == Data(self.cardAuthKey.publicKey.derRepresentation)
        )

        let extensions = certificate.extensions
        #expect(
            extensions.map(\.oid) == [
                .X509ExtensionID.keyUsage, .X509ExtensionID.extendedKeyUsage, [2, 5, 29, 32],
                .X509ExtensionID.authorityKeyIdentifier, .X509ExtensionID.subjectKeyIdentifier,
            ]
        )
        #expect(try extensions.keyUsage == KeyUsage(digitalSignature: true))
        #expect(extensions[oid: .X509ExtensionID.keyUsage]?.critical == true)
        #expect(try extensions.extendedKeyUsage == ExtendedKeyUsage([.clientAuth]))
        #expect(extensions[oid: .X509ExtensionID.extendedKeyUsage]?.critical == false)
        let policies = try #require(extensions[oid: [2, 5, 29, 32]])
        #expect(policies.critical)
        #expect(try Self.policyIdentifiers(policies) == ["1.2.392.200149.8.5.1.3.30"])
        #expect(
            try extensions.authorityKeyIdentifier?.keyIdentifier == ca.extensions.subjectKeyIdentifier?.keyIdentifier
        )
        #expect(try extensions.authorityKeyIdentifier?.authorityCertIssuer == nil)
        #expect(try extensions.subjectAlternativeNames == nil)
        #expect(
            try extensions.subjectKeyIdentifier.map { Array($0.keyIdentifier) }
                == Array(Insecure.SHA1.hash(data: Array(certificate.publicKey.subjectPublicKeyInfoBytes)))
        )
        #expect(ca.publicKey.isValidSignature(certificate.signature, for: certificate))
    }

    /// Parses CertificatePolicies by hand: swift-certificates has no type for it.
    static func policyIdentifiers(_ ext: Certificate.Extension) throws -> [String] {
        let root = try DER.parse(ext.value)
        guard case .constructed(let list) = root.content else { return [] }
        return try list.map { information in
            guard case .constructed(let fields) = information.content else { return "" }
            return try ASN1ObjectIdentifier(derEncoded: Array(fields)[0]).description
        }
    }

    @Test("Validity runs from 00:00:00 JST to 23:59:59 JST")
    func validityInstants() throws {
        let certificate = try Certificate(derEncoded: try self.authCertificate())
        #expect(certificate.notValidBefore == Self.utc("2025-01-09T15:00:00Z"))
        #expect(certificate.notValidAfter == Self.utc("2030-05-02T14:59:59Z"))
    }

    @Test("Certificates start with 30 82 and a length that covers the rest")
    func lengthHeader() throws {
        for der in [try self.authCertificate(), try self.signCertificate(), self.authCA.certificateDER] {
            #expect(der.count > 256)
            #expect(der[0] == 0x30 && der[1] == 0x82)
            #expect(Int(der[2]) << 8 | Int(der[3]) == der.count - 4)
        }
    }

    // MARK: Signing certificate

    @Test("The signing certificate carries the holder in SubjectAltName otherNames")
    func signingProfile() throws {
        let holder = CertificateHolder(
            name: "山田　太郎",
            nameAlternative: "00000",
            sex: "1",
            birthDate: Fixtures.date("1980-05-02"),
            address: "東京都千代田区霞が関２－１－２",
            addressAlternative: "0000000000000000"
        )
        let certificate = try Certificate(derEncoded: try self.signCertificate(holder: holder))
        let ca = try Certificate(derEncoded: self.signCA.certificateDER)
        #expect(certificate.issuer == ca.subject)
        #expect(certificate.subject.description == "CN=\(Self.subjectSerial),C=JP")
        #expect(ca.publicKey.isValidSignature(certificate.signature, for: certificate))

        let extensions = certificate.extensions
        #expect(
            extensions.map(\.oid) == [
                .X509ExtensionID.keyUsage, [2, 5, 29, 32], .X509ExtensionID.subjectAlternativeName,
                .X509ExtensionID.authorityKeyIdentifier, .X509ExtensionID.subjectKeyIdentifier,
            ]
        )
        #expect(try extensions.keyUsage == KeyUsage(digitalSignature: true, nonRepudiation: true))
        #expect(extensions[oid: .X509ExtensionID.keyUsage]?.critical == true)
        let policies = try #require(extensions[oid: [2, 5, 29, 32]])
        #expect(policies.critical)
        #expect(try Self.policyIdentifiers(policies) == ["1.2.392.200149.8.5.1.1.20"])
        #expect(try extensions.extendedKeyUsage == nil)
        #expect(
            try extensions.authorityKeyIdentifier?.keyIdentifier == ca.extensions.subjectKeyIdentifier?.keyIdentifier
        )

        let names = try #require(try extensions.subjectAlternativeNames)
        var entries: [(String, [UInt8], String)] = []
        for name in names {
            guard case .otherName(let otherName) = name, let value = otherName.value else {
                Issue.record("unexpected SubjectAltName entry \(name)")
                continue
            }
            var serializer = DER.Serializer()
            try serializer.serialize(value)
            entries.append(
                (otherName.typeID.description, serializer.serializedBytes, String(try ASN1UTF8String(asn1Any: value)))
            )
        }
        #expect(
            entries.map(\.0) == [
                "1.2.392.200149.8.5.5.1", "1.2.392.200149.8.5.5.4", "1.2.392.200149.8.5.5.3", "1.2.392.200149.8.5.5.5",
                "1.2.392.200149.8.5.5.2", "1.2.392.200149.8.5.5.6",
            ]
        )
        #expect(entries.map(\.2) == ["山田　太郎", "319800502", "1", "東京都千代田区霞が関２－１－２", "00000", "0000000000000000"])
        // Each value is a UTF8String (tag 0C) holding the UTF-8 bytes.
        for (_, der, text) in entries {
            #expect(der.first == 0x0C)
            #expect(Array(der.suffix(text.utf8.count)) == Array(text.utf8))
        }
    }

    @Test("Absent alternatives are left out of the SubjectAltName")
    func onlyPresentAttributes() throws {
        let certificate = try Certificate(derEncoded: try self.signCertificate())
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        let oids = names.compactMap { name -> String? in
            guard case .otherName(let otherName) = name else { return nil }
            return otherName.typeID.description
        }
        #expect(
            oids == [
                "1.2.392.200149.8.5.5.1", "1.2.392.200149.8.5.5.4", "1.2.392.200149.8.5.5.3", "1.2.392.200149.8.5.5.5",
            ]
        )
    }

    @Test(
        "Birth dates carry the era digit",
        arguments: [
            ("1912-07-29", "119120729"), ("1912-07-30", "219120730"), ("1926-12-25", "319261225"),
            ("1989-01-07", "319890107"), ("1989-01-08", "419890108"), ("2019-04-30", "420190430"),
            ("2019-05-01", "520190501"), ("1868-01-24", "018680124"),
        ]
    )
    func eraDigits(date: String, expected: String) {
        let holder = CertificateHolder(name: "試験", sex: "2", birthDate: Fixtures.date(date), address: "東京都")
        #expect(holder.encodedBirthDate == expected)
    }

    // MARK: Chain validation

    @Test("The chains validate with swift-certificates within validity and fail outside it")
    func chainValidation() async throws {
        let cases: [(JPKITestCA, [UInt8], JPKICertificateKind)] = [
            (self.authCA, try self.authCertificate(), .authentication),
            (self.signCA, try self.signCertificate(), .signing),
        ]
        for (ca, leaf, kind) in cases {
            func valid(at time: String, policy: JPKIPolicy?) async throws -> Bool {
                try await Self.validates(leaf: leaf, root: ca.certificateDER, at: Self.utc(time), policy: policy)
            }
            func valid(at time: String) async throws -> Bool {
                try await valid(at: time, policy: JPKIPolicy(kind: kind))
            }
            #expect(try await valid(at: "2027-06-01T00:00:00Z"))
            #expect(try await valid(at: "2025-01-09T15:00:00Z"))
            #expect(try await valid(at: "2030-05-02T14:59:59Z"))
            #expect(!(try await valid(at: "2025-01-09T14:59:59Z")))
            #expect(!(try await valid(at: "2030-05-02T15:00:00Z")))
            #expect(!(try await valid(at: "2031-01-01T00:00:00Z")))
            // Without JPKIPolicy the critical CertificatePolicies extension is unhandled, as RFC 5280 requires.
            #expect(!(try await valid(at: "2027-06-01T00:00:00Z", policy: nil)))
            #expect(try await valid(at: "2027-06-01T00:00:00Z", policy: JPKIPolicy(kind: nil)))
        }
    }

    @Test("The chain fails under the other CA and the other kind's policy")
    func wrongChains() async throws {
        let time = Self.utc("2027-06-01T00:00:00Z")
        let auth = try self.authCertificate()
        #expect(
            !(try await Self.validates(
                leaf: auth,
                root: self.signCA.certificateDER,
                at: time,
                policy: JPKIPolicy(kind: nil)
            ))
        )
        #expect(
            !(try await Self.validates(
                leaf: auth,
                root: self.authCA.certificateDER,
                at: time,
                policy: JPKIPolicy(kind: .signing)
            ))
        )
        let sign = try self.signCertificate()
        #expect(
            !(try await Self.validates(
                leaf: sign,
                root: self.signCA.certificateDER,
                at: time,
                policy: JPKIPolicy(kind: .authentication)
            ))
        )
    }

    // MARK: Determinism and read-back

    @Test("Issuing twice gives identical bytes")
    func deterministic() throws {
        #expect(try self.authCertificate() == self.authCertificate())
        #expect(try self.signCertificate() == self.signCertificate())
        let again = try JPKITestCA(
            kind: .authentication,
            key: try Fixtures.key("jpki-auth-ca"),
            notBefore: Fixtures.date("2020-01-01"),
            notAfter: Fixtures.date("2039-12-31")
        )
        #expect(again.certificateDER == self.authCA.certificateDER)
        #expect(try self.authCertificate(serial: [0x03]) != self.authCertificate(serial: [0x04]))
    }

    @Test("CertificateSummary reads back what was written")
    func summary() throws {
        let holder = CertificateHolder(
            name: "山田　花子",
            nameAlternative: "00100",
            sex: "2",
            birthDate: Fixtures.date("2000-02-29"),
            address: "大阪府大阪市北区",
            addressAlternative: nil
        )
        let summary = try CertificateSummary(derEncoded: try self.signCertificate(holder: holder))
        #expect(summary.subject == "CN=\(Self.subjectSerial),C=JP")
        #expect(summary.issuer == JPKITestCA.subjectName(for: .signing))
        #expect(summary.notBefore == Fixtures.date("2025-01-10"))
        #expect(summary.notAfter == Fixtures.date("2030-05-02"))
        #expect(summary.publicKey == self.cardSignKey.publicKey)
        #expect(summary.serialNumber == [0x02, 0x00])
        #expect(
            summary.holderAttributes == [
                JPKIObjectIdentifiers.name: "山田　花子",
                JPKIObjectIdentifiers.nameAlternative: "00100",
                JPKIObjectIdentifiers.sex: "2",
                JPKIObjectIdentifiers.birthDate: "420000229",
                JPKIObjectIdentifiers.address: "大阪府大阪市北区",
            ]
        )
        #expect(summary.holderBirthDate == Fixtures.date("2000-02-29"))
        #expect(summary.policyIdentifiers == [JPKIObjectIdentifiers.signingPolicy])
        #expect(summary.isSigned(by: self.signCA.key.publicKey))
        #expect(!summary.isSigned(by: self.authCA.key.publicKey))

        let auth = try CertificateSummary(derEncoded: try self.authCertificate(serial: [0x00, 0x80, 0x01]))
        #expect(auth.holderAttributes.isEmpty)
        #expect(auth.holderBirthDate == nil)
        #expect(auth.serialNumber == [0x80, 0x01])
        #expect(auth.policyIdentifiers == [JPKIObjectIdentifiers.authenticationPolicy])
        #expect(auth.publicKey == self.cardAuthKey.publicKey)
        #expect(auth.isSigned(by: self.authCA.key.publicKey))
    }

    @Test("A tampered certificate no longer verifies")
    func tampered() throws {
        var der = try self.authCertificate()
        // Change one byte of the subject serial inside the TBSCertificate.
        let serialBytes = Array(Self.subjectSerial.utf8)
        let index = try #require(der.firstRange(of: serialBytes)).lowerBound
        der[index] ^= 0x01
        let summary = try CertificateSummary(derEncoded: der)
        #expect(!summary.isSigned(by: self.authCA.key.publicKey))
        let certificate = try Certificate(derEncoded: der)
        let ca = try Certificate(derEncoded: self.authCA.certificateDER)
        #expect(!ca.publicKey.isValidSignature(certificate.signature, for: certificate))
    }

    @Test("Bad serial numbers, reversed validity and garbage are refused")
    func refusals() throws {
        let key = self.cardAuthKey.publicKey
        for serial in [[], [0x00], [UInt8](repeating: 0x80, count: 20), [UInt8](repeating: 1, count: 21)] {
            #expect(throws: CardCrypto.CryptoError(code: .invalidSerialNumber)) {
                try self.authCA.issueAuthenticationCertificate(
                    subjectSerial: "X",
                    publicKey: key,
                    serialNumber: serial,
                    notBefore: Fixtures.date("2025-01-01"),
                    notAfter: Fixtures.date("2026-01-01")
                )
            }
        }
        // 20 bytes with the top bit clear is the longest serial RFC 5280 allows.
        _ = try self.authCA.issueAuthenticationCertificate(
            subjectSerial: "X",
            publicKey: key,
            serialNumber: [UInt8](repeating: 0x7F, count: 20),
            notBefore: Fixtures.date("2025-01-01"),
            notAfter: Fixtures.date("2026-01-01")
        )
        #expect(throws: CardCrypto.CryptoError(code: .invalidValidity)) {
            try self.authCA.issueAuthenticationCertificate(
                subjectSerial: "X",
                publicKey: key,
                serialNumber: [1],
                notBefore: Fixtures.date("2026-01-02"),
                notAfter: Fixtures.date("2026-01-01")
            )
        }
        #expect(throws: CardCrypto.CryptoError(code: .invalidValidity)) {
            try JPKITestCA(
                kind: .signing,
                key: self.signCA.key,
                notBefore: Fixtures.date("2026-01-02"),
                notAfter: Fixtures.date("2026-01-01")
            )
        }
        #expect(throws: CardCrypto.CryptoError(code: .invalidCertificate)) {
            try CertificateSummary(derEncoded: [0x30, 0x00])
        }
        #expect(throws: CardCrypto.CryptoError(code: .invalidCertificate)) { try CertificateSummary(derEncoded: []) }
    }

    @Test("A one-day certificate is valid for exactly that JST day")
    func oneDay() async throws {
        let day = Fixtures.date("2026-03-15")
        let leaf = try self.authCA.issueAuthenticationCertificate(
            subjectSerial: "ONEDAY",
            publicKey: self.cardAuthKey.publicKey,
            serialNumber: [9],
            notBefore: day,
            notAfter: day
        )
        let summary = try CertificateSummary(derEncoded: leaf)
        #expect(summary.notBefore == day && summary.notAfter == day)
        let root = self.authCA.certificateDER
        #expect(
            try await Self.validates(
                leaf: leaf,
                root: root,
                at: Self.utc("2026-03-15T12:00:00Z"),
                policy: JPKIPolicy(kind: .authentication)
            )
        )
        #expect(
            !(try await Self.validates(
                leaf: leaf,
                root: root,
                at: Self.utc("2026-03-15T15:00:00Z"),
                policy: JPKIPolicy(kind: .authentication)
            ))
        )
    }
}
