import Foundation
import SwiftASN1
import X509

/// Reading back what a certificate says (for the emulator's profile checks and the runner's expectations).
public struct CertificateSummary: Sendable {
    /// The certificate as given.
    public let derEncoded: [UInt8]
    /// RFC 4514 text as swift-certificates writes it: most specific attribute first, e.g. "CN=…,C=JP".
    public var subject: String
    public var issuer: String
    /// JST calendar dates of notBefore and notAfter, the zone JPKI certificates are issued in (see
    /// ``JPKITestCA/issueAuthenticationCertificate(subjectSerial:publicKey:serialNumber:notBefore:notAfter:)``).
    public var notBefore: CalendarDate
    public var notAfter: CalendarDate
    public var publicKey: RSAPublicKey
    /// Big-endian magnitude without the sign byte DER may add.
    public var serialNumber: [UInt8]
    /// OID dotted string → value, from the SubjectAltName otherNames whose value is a string.
    public var holderAttributes: [String: String]
    /// CertificatePolicies identifiers, in order; empty without the extension.
    public var policyIdentifiers: [String]
    /// KeyUsage bits that are set, by their RFC 5280 names (`digitalSignature`, `nonRepudiation`, …).
    public var keyUsage: [String]
    /// Whether KeyUsage is marked critical; nil without the extension.
    public var keyUsageIsCritical: Bool?
    /// ExtendedKeyUsage purposes by name where known (`clientAuth`), dotted OID otherwise.
    public var extendedKeyUsage: [String]
    /// The hash of the signature algorithm: SHA-256 for sha256WithRSAEncryption, SHA-1 for sha1WithRSAEncryption,
    /// nil for anything else (which ``isSigned(by:)`` then never accepts).
    public var signatureHash: HashAlgorithm?

    private let tbsCertificate: [UInt8]
    private let signature: [UInt8]

    /// - Throws: ``CryptoError/Code/invalidCertificate`` for bytes that are not a certificate, a certificate
    ///   swift-certificates cannot read, or one with a malformed SubjectAltName or CertificatePolicies;
    ///   ``CryptoError/Code/unsupportedKeyType`` when the subject key is not RSA.
    public init(derEncoded: [UInt8]) throws(CryptoError) {
        let certificate: Certificate
        let holderAttributes: [String: String]
        let policies: [String]
        let usages: (key: [String], critical: Bool?, extended: [String])
        do {
            certificate = try Certificate(derEncoded: derEncoded)
            holderAttributes = try Self.otherNames(in: certificate)
            policies = try CertificatePolicies.identifiers(in: certificate.extensions)
            usages = try Self.usages(in: certificate.extensions)
        } catch {
            throw CryptoError(code: .invalidCertificate, reason: "cannot read the certificate: \(error)")
        }
        let spki: [UInt8]
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate.publicKey)
            spki = serializer.serializedBytes
        } catch {
            throw CryptoError(code: .invalidCertificate, reason: "cannot re-encode the public key: \(error)")
        }
        self.derEncoded = derEncoded
        self.subject = String(describing: certificate.subject)
        self.issuer = String(describing: certificate.issuer)
        self.notBefore = JPKIValidity.calendarDate(of: certificate.notValidBefore)
        self.notAfter = JPKIValidity.calendarDate(of: certificate.notValidAfter)
        self.publicKey = try RSAPublicKey(derRepresentation: spki)
        self.serialNumber = Array(certificate.serialNumber.bytes.drop { $0 == 0 })
        self.holderAttributes = holderAttributes
        self.policyIdentifiers = policies
        self.keyUsage = usages.key
        self.keyUsageIsCritical = usages.critical
        self.extendedKeyUsage = usages.extended
        self.tbsCertificate = Array(certificate.tbsCertificateBytes)
        self.signature = certificate.signature.rawRepresentation
        self.signatureHash =
            switch certificate.signatureAlgorithm {
            case .sha256WithRSAEncryption: .sha256
            case .sha1WithRSAEncryption: .sha1
            default: nil
            }
    }

    /// Whether `issuer` made the signature, checked with OpenSSL (swift-certificates' `Verifier` checks with
    /// swift-crypto, so the two together cross-check each other). Only sha256/sha1WithRSAEncryption are known.
    public func isSigned(by issuer: RSAPublicKey) -> Bool {
        guard let hash = self.signatureHash else { return false }
        return issuer.isValidPKCS1v15(signature: self.signature, message: self.tbsCertificate, hash: hash)
    }

    /// The holder's birth date, from the `EYYYYMMDD` (or plain `YYYYMMDD`) otherName; nil if absent or unreadable.
    public var holderBirthDate: CalendarDate? {
        guard let text = self.holderAttributes[JPKIObjectIdentifiers.birthDate] else { return nil }
        return CalendarDate(yyyymmdd: text.count == 9 ? String(text.dropFirst()) : text)
    }

    private static func usages(in extensions: Certificate.Extensions) throws -> (key: [String], critical: Bool?, extended: [String]) {
        var key: [String] = []
        if let usage = try extensions.keyUsage {
            let bits: [(Bool, String)] = [
                (usage.digitalSignature, "digitalSignature"), (usage.nonRepudiation, "nonRepudiation"),
                (usage.keyEncipherment, "keyEncipherment"), (usage.dataEncipherment, "dataEncipherment"),
                (usage.keyAgreement, "keyAgreement"), (usage.keyCertSign, "keyCertSign"), (usage.cRLSign, "cRLSign"),
                (usage.encipherOnly, "encipherOnly"), (usage.decipherOnly, "decipherOnly"),
            ]
            key = bits.filter(\.0).map(\.1)
        }
        let critical = extensions.first { $0.oid == .X509ExtensionID.keyUsage }?.critical
        var extended: [String] = []
        if let purposes = try extensions.extendedKeyUsage {
            let names: [ExtendedKeyUsage.Usage: String] = [
                .clientAuth: "clientAuth", .serverAuth: "serverAuth", .emailProtection: "emailProtection",
                .codeSigning: "codeSigning", .timeStamping: "timeStamping", .ocspSigning: "ocspSigning",
            ]
            extended = purposes.map { names[$0] ?? $0.description }
        }
        return (key, critical, extended)
    }

    private static func otherNames(in certificate: Certificate) throws -> [String: String] {
        guard let names = try certificate.extensions.subjectAlternativeNames else { return [:] }
        var attributes: [String: String] = [:]
        for case .otherName(let otherName) in names {
            guard let value = otherName.value, let text = Self.string(value) else { continue }
            attributes[otherName.typeID.description] = text
        }
        return attributes
    }

    /// The text of a UTF8String or PrintableString; nil for other types, which JPKI does not use.
    private static func string(_ value: ASN1Any) -> String? {
        if let utf8 = try? ASN1UTF8String(asn1Any: value) {
            return String(utf8)
        }
        if let printable = try? ASN1PrintableString(asn1Any: value) {
            return String(printable)
        }
        return nil
    }
}
