import APDU
import CardCrypto
import Foundation
import TestSupport
import Testing
import YAMLSource

@testable import CardEmulator

/// The committed revocation data (Vectors/revocation) against the profiles: the CA certificate the OCSP responder
/// and kiosks are given is the one the profiles issue, and the CRL says what each profile claims.
@Suite("Revocation data")
struct RevocationDataTests {
    static let directory = "\(repositoryRoot)/Vectors/revocation"

    @Test(
        "jpki-auth-ca.pem is byte for byte the auth CA certificate the profiles issue (MYNACONF_UPDATE_GOLDEN=1 rewrites it)"
    )
    func caCertificateMatches() throws {
        let der = try loadProfile().jpki.authenticationCA
        let pem =
            "-----BEGIN CERTIFICATE-----\n"
            + Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END CERTIFICATE-----\n"
        let path = "\(Self.directory)/jpki-auth-ca.pem"
        if ProcessInfo.processInfo.environment["MYNACONF_UPDATE_GOLDEN"] == "1" {
            try pem.write(toFile: path, atomically: true, encoding: .utf8)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == pem)
    }

    @Test("The CRL is the auth CA's, lists the revoked profile's certificate and not the default one")
    func crlContents() throws {
        let list = try RevocationList(
            encoded: [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/jpki-auth-ca.crl"))))
        let ca = try loadProfile().jpki.authenticationCA
        #expect(list.isIssued(by: ca))
        #expect(!list.isIssued(by: try loadProfile().jpki.signingCA))
        let revoked = try CertificateSummary(
            derEncoded: try loadProfile("revoked-auth-certificate").jpki.authenticationCertificate)
        #expect(list.status(ofSerial: revoked.serialNumber).isRevoked)
        let good = try CertificateSummary(derEncoded: try loadProfile().jpki.authenticationCertificate)
        #expect(list.status(ofSerial: good.serialNumber) == .good)
        #expect(
            try loadProfile("revoked-auth-certificate").chip.revocationList?.hasSuffix(
                "Vectors/revocation/jpki-auth-ca.crl") == true)
    }
}
