import CardCrypto
import Foundation
import YAMLSource

/// `revocation:` of a card profile: the CRL that lists (or does not list) the card's user-authentication
/// certificate, as its CA publishes it. The loader checks the CRL against the profile, so a profile that says
/// "revoked" while its CRL says otherwise is refused instead of making a test lie.
enum RevocationSetting {
    static func check(_ node: YAMLNode, profile: inout CardProfile, reader: ProfileReader) throws(Diagnostic) {
        let map = try node.mapping(allowing: ["crl", "auth_certificate"])
        let crlNode = try map.required("crl")
        let relative = try crlNode.string()
        let path =
            relative.hasPrefix("/") ? relative : (reader.directory as NSString).appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw crlNode.error("cannot read the CRL '\(relative)' (looked at \(path))")
        }
        let list: RevocationList
        do {
            list = try RevocationList(encoded: [UInt8](data))
        } catch {
            throw crlNode.error("'\(relative)' is not an X.509 CRL: \(error.reason)")
        }
        guard list.isIssued(by: profile.jpki.authenticationCA) else {
            throw crlNode.error(
                "'\(relative)' is not signed by this profile's user-authentication CA (jpki.ca.auth_key)")
        }
        let claimNode = try map.required("auth_certificate")
        let claim = try claimNode.choice(["good", "revoked"])
        let serial: [UInt8]
        do {
            serial = try CertificateSummary(derEncoded: profile.jpki.authenticationCertificate).serialNumber
        } catch {
            throw claimNode.error("cannot read the user-authentication certificate: \(error.reason)")
        }
        let status = list.status(ofSerial: serial)
        guard status.isRevoked == (claim == "revoked") else {
            throw claimNode.error(
                "the profile says '\(claim)' but the CRL says \(status) for serial \(serial.map { String(format: "%02X", $0) }.joined())"
            )
        }
        profile.chip.revocationList = (path as NSString).standardizingPath
    }
}
