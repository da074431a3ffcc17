import Foundation
import SwiftASN1
import X509

/// A self-signed test CA in the shape of J-LIS's, issuing the card's two kinds of certificate.
///
/// Everything is a function of the inputs (PKCS#1 v1.5 is deterministic and validity is whole days), so the same
/// keys, names, serials and dates give byte-identical certificates, and expected files can be committed.
public struct JPKITestCA: Sendable {
    public let kind: JPKICertificateKind
    public let key: RSAPrivateKey
    public let certificateDER: [UInt8]
    /// The CA's name, the issuer of everything it issues.
    let name: DistinguishedName
    /// The CA's SubjectKeyIdentifier, repeated as the AuthorityKeyIdentifier of what it issues.
    let keyIdentifier: [UInt8]

    /// The CA's name: C=JP, O=JPKI-TEST, OU=JPKI for user authentication (or digital signature),
    /// OU=Japan Agency for Local Authority Information Systems.
    ///
    /// The same attributes and string types as the real CA names, with O=JPKI-TEST as on J-LIS's own test cards, so
    /// a client that looks at the issuer's OU sees what a real card would give it and `O` still says "test".
    public static func subjectName(for kind: JPKICertificateKind) -> String {
        String(describing: distinguishedName(for: kind))
    }

    static func distinguishedName(for kind: JPKICertificateKind) -> DistinguishedName {
        let unit =
            switch kind {
            case .authentication: "JPKI for user authentication"
            case .signing: "JPKI for digital signature"
            }
        return DistinguishedName([
            RelativeDistinguishedName(try! .init(type: .RDNAttributeType.countryName, printableString: "JP")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: "JPKI-TEST")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationalUnitName, utf8String: unit)),
            RelativeDistinguishedName(
                .init(
                    type: .RDNAttributeType.organizationalUnitName,
                    utf8String: "Japan Agency for Local Authority Information Systems"
                )
            ),
        ])
    }

    /// Self-signed CA: C=JP, O=JPKI-TEST, OU=JPKI for user authentication (or OU=JPKI for digital signature),
    /// OU=Japan Agency for Local Authority Information Systems; BasicConstraints CA critical, KeyUsage
    /// keyCertSign+cRLSign critical, SKI. sha256WithRSAEncryption. Serial number 1.
    ///
    /// Validity runs from 00:00:00 JST on `notBefore` to 23:59:59 JST on `notAfter`, like the certificates it issues.
    public init(
        kind: JPKICertificateKind,
        key: RSAPrivateKey,
        notBefore: CalendarDate,
        notAfter: CalendarDate
    ) throws(CryptoError) {
        let name = Self.distinguishedName(for: kind)
        let signer = try OpenSSLCertificateSigner(key)
        let keyIdentifier = Self.keyIdentifier(of: signer.publicKey)
        let extensions = try Self.extensions {
            try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true)
            try Certificate.Extension(KeyUsage(keyCertSign: true, cRLSign: true), critical: true)
            try Certificate.Extension(SubjectKeyIdentifier(keyIdentifier: keyIdentifier[...]), critical: false)
        }
        self.kind = kind
        self.key = key
        self.name = name
        self.keyIdentifier = keyIdentifier
        self.certificateDER = try Self.issue(
            subject: name,
            issuer: name,
            publicKey: signer.publicKey,
            serialNumber: [0x01],
            notBefore: notBefore,
            notAfter: notAfter,
            extensions: extensions,
            signer: signer
        )
    }

    /// User-authentication certificate as the real card carries it: issuer = this CA's subject, subject C=JP,
    /// CN=<subjectSerial>, the SPKI of `publicKey`, sha256WithRSAEncryption, and in the real certificate's order:
    /// KeyUsage digitalSignature (critical), EKU clientAuth, CertificatePolicies
    /// 1.2.392.200149.8.5.1.3.30 (critical, as on the real card), AKI (key identifier), SKI.
    /// The real certificate's IssuerAltName, CRL distribution point and OCSP URL are left out: they would point at
    /// J-LIS's services.
    ///
    /// - Parameters:
    ///   - serialNumber: big-endian magnitude, 1–20 bytes once leading zeros are dropped, not zero.
    ///   - notBefore: first valid day, from 00:00:00 JST (15:00:00 UTC the day before).
    ///   - notAfter: last valid day, to 23:59:59 JST (14:59:59 UTC), as on the real certificate.
    /// - Returns: the certificate DER (`30 82 LL LL …`).
    public func issueAuthenticationCertificate(
        subjectSerial: String,
        publicKey: RSAPublicKey,
        serialNumber: [UInt8],
        notBefore: CalendarDate,
        notAfter: CalendarDate
    ) throws(CryptoError) -> [UInt8] {
        let subjectKey = try Certificate.PublicKey(rsa: publicKey)
        let extensions = try Self.extensions {
            try Certificate.Extension(KeyUsage(digitalSignature: true), critical: true)
            try Certificate.Extension(ExtendedKeyUsage([.clientAuth]), critical: false)
            try CertificatePolicies.makeExtension(policies: [JPKIObjectIdentifiers.authenticationPolicy])
            try self.authorityKeyIdentifier()
            try Certificate.Extension(
                SubjectKeyIdentifier(keyIdentifier: Self.keyIdentifier(of: subjectKey)[...]),
                critical: false
            )
        }
        return try self.issueEndEntity(
            subjectSerial: subjectSerial,
            publicKey: subjectKey,
            serialNumber: serialNumber,
            notBefore: notBefore,
            notAfter: notAfter,
            extensions: extensions
        )
    }

    /// Signing certificate: subject C=JP, CN=<subjectSerial>, KeyUsage digitalSignature+nonRepudiation (critical),
    /// CertificatePolicies ``JPKIObjectIdentifiers/signingPolicy`` (critical), SubjectAltName with the holder's
    /// attributes as otherName entries (1.2.392.200149.8.5.5.1 name, .2 name alternative, .3 sex, .4 birth date as
    /// `EYYYYMMDD`, .5 address, .6 address alternative — only present ones, in the order a real certificate lists
    /// them; each value a UTF8String inside the otherName's [0] EXPLICIT), AKI, SKI.
    /// Dates and serial number as for the authentication certificate.
    public func issueSigningCertificate(
        holder: CertificateHolder,
        subjectSerial: String,
        publicKey: RSAPublicKey,
        serialNumber: [UInt8],
        notBefore: CalendarDate,
        notAfter: CalendarDate
    ) throws(CryptoError) -> [UInt8] {
        let subjectKey = try Certificate.PublicKey(rsa: publicKey)
        let extensions = try Self.extensions {
            try Certificate.Extension(KeyUsage(digitalSignature: true, nonRepudiation: true), critical: true)
            try CertificatePolicies.makeExtension(policies: [JPKIObjectIdentifiers.signingPolicy])
            try Certificate.Extension(
                SubjectAlternativeNames(
                    try holder.subjectAltNameEntries.map { entry in
                        GeneralName.otherName(
                            .init(
                                typeID: try ASN1ObjectIdentifier(dotRepresentation: entry.oid),
                                value: try ASN1Any(erasing: ASN1UTF8String(entry.value))
                            )
                        )
                    }
                ),
                critical: false
            )
            try self.authorityKeyIdentifier()
            try Certificate.Extension(
                SubjectKeyIdentifier(keyIdentifier: Self.keyIdentifier(of: subjectKey)[...]),
                critical: false
            )
        }
        return try self.issueEndEntity(
            subjectSerial: subjectSerial,
            publicKey: subjectKey,
            serialNumber: serialNumber,
            notBefore: notBefore,
            notAfter: notAfter,
            extensions: extensions
        )
    }

    /// The CA certificate as PEM "CERTIFICATE".
    public var certificatePEM: String {
        PEM.encode(self.certificateDER, label: "CERTIFICATE")
    }

    // MARK: Building blocks

    private func authorityKeyIdentifier() throws -> Certificate.Extension {
        try Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: self.keyIdentifier[...]), critical: false)
    }

    private func issueEndEntity(
        subjectSerial: String,
        publicKey: Certificate.PublicKey,
        serialNumber: [UInt8],
        notBefore: CalendarDate,
        notAfter: CalendarDate,
        extensions: Certificate.Extensions
    ) throws(CryptoError) -> [UInt8] {
        guard !subjectSerial.isEmpty else {
            throw CryptoError(code: .certificateIssuanceFailed, reason: "the subject serial (CN) is empty")
        }
        let subject = DistinguishedName([
            RelativeDistinguishedName(try! .init(type: .RDNAttributeType.countryName, printableString: "JP")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: subjectSerial)),
        ])
        return try Self.issue(
            subject: subject,
            issuer: self.name,
            publicKey: publicKey,
            serialNumber: serialNumber,
            notBefore: notBefore,
            notAfter: notAfter,
            extensions: extensions,
            signer: try OpenSSLCertificateSigner(self.key)
        )
    }

    /// Builds extensions, turning swift-certificates' untyped errors into ours.
    private static func extensions(
        @ArrayBuilder _ build: () throws -> [Certificate.Extension]
    ) throws(CryptoError) -> Certificate.Extensions {
        do {
            return try Certificate.Extensions(build())
        } catch let error as CryptoError {
            throw error
        } catch {
            throw CryptoError(code: .certificateIssuanceFailed, reason: "cannot encode an extension: \(error)")
        }
    }

    private static func issue(
        subject: DistinguishedName,
        issuer: DistinguishedName,
        publicKey: Certificate.PublicKey,
        serialNumber: [UInt8],
        notBefore: CalendarDate,
        notAfter: CalendarDate,
        extensions: Certificate.Extensions,
        signer: OpenSSLCertificateSigner
    ) throws(CryptoError) -> [UInt8] {
        let serial = Array(serialNumber.drop { $0 == 0 })
        guard !serial.isEmpty, serial.count < 20 || (serial.count == 20 && serial[0] < 0x80) else {
            throw CryptoError(
                code: .invalidSerialNumber,
                reason: "a serial number is a positive integer of at most 20 bytes; got \(serialNumber.count) bytes"
            )
        }
        guard notBefore <= notAfter else {
            throw CryptoError(
                code: .invalidValidity,
                reason: "the validity ends (\(notAfter)) before it starts (\(notBefore))"
            )
        }
        do {
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(bytes: serial),
                publicKey: publicKey,
                notValidBefore: JPKIValidity.start(of: notBefore),
                notValidAfter: JPKIValidity.end(of: notAfter),
                issuer: issuer,
                subject: subject,
                signatureAlgorithm: .sha256WithRSAEncryption,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(signer)
            )
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return serializer.serializedBytes
        } catch let error as CryptoError {
            throw error
        } catch {
            throw CryptoError(
                code: .certificateIssuanceFailed,
                reason: "swift-certificates refused the certificate: \(error)"
            )
        }
    }

    /// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's contents.
    private static func keyIdentifier(of publicKey: Certificate.PublicKey) -> [UInt8] {
        HashAlgorithm.sha1.hash(Array(publicKey.subjectPublicKeyInfoBytes))
    }
}

/// Collects `Certificate.Extension` values written one per line.
@resultBuilder
enum ArrayBuilder {
    static func buildBlock(_ extensions: Certificate.Extension...) -> [Certificate.Extension] {
        extensions
    }
}
