import CardCrypto
import Foundation
import Scenario

/// A certificate expectation's `revocation:`: the kiosk's revocation check (失効確認), made for real — the CRL
/// read and its signature checked against the issuer, and/or an OCSP request sent to a responder on loopback and
/// its signed answer checked — and the status compared with what the scenario expects.
extension ScenarioExecution {
    mutating func checkRevocation(_ expectation: RevocationExpectation, certificate: [UInt8], _ step: Step)
        throws(StepFailure)
    {
        let location = "\(expectation.location)"
        func fail(_ message: String, expected: String = "", actual: String = "", harness: Bool = false) -> StepFailure {
            StepFailure(
                failure: ScenarioFailure(
                    message: "revocation: \(message)", expected: expected, actual: actual, location: location),
                isError: harness)
        }
        let issuer = try hex(expectation.issuer, step).bytes
        guard let serial = (try? CertificateSummary(derEncoded: certificate))?.serialNumber else {
            throw fail("the data is not a certificate")
        }
        let wanted = expectation.status.rawValue
        if let crlTemplate = expectation.crl {
            let name = String(decoding: try text(crlTemplate, step).bytes, as: UTF8.self)
            let joined = name.hasPrefix("/") ? name : (scenarioDirectory as NSString).appendingPathComponent(name)
            let path = (joined as NSString).standardizingPath
            guard let data = FileManager.default.contents(atPath: path) else {
                throw fail("cannot read the CRL '\(name)' (looked at \(path))", harness: true)
            }
            let list: RevocationList
            do { list = try RevocationList(encoded: [UInt8](data)) } catch {
                throw fail("'\(name)' is not a CRL: \(error.reason)", harness: true)
            }
            guard list.isIssued(by: issuer) else {
                throw fail(
                    "the CRL '\(name)' is not signed by the issuer given",
                    expected: "a CRL of \(expectation.issuer.text)")
            }
            let status = list.status(ofSerial: serial)
            guard status.isRevoked == (expectation.status == .revoked) else {
                throw fail("the CRL says \(status)", expected: wanted, actual: "\(status)")
            }
        }
        if let ocspTemplate = expectation.ocsp {
            let url = String(decoding: try text(ocspTemplate, step).bytes, as: UTF8.self)
            let client = OCSPClient(certificate: certificate, issuer: issuer)
            let status: RevocationStatus
            do {
                let (request, pending) = try client.request()
                let answer: [UInt8]
                do { answer = try LoopbackOCSP.post(request, to: url) } catch {
                    throw fail(error.description, harness: true)
                }
                status = try client.status(of: answer, for: pending)
            } catch let failure as StepFailure {
                throw failure
            } catch let error as CryptoError {
                throw fail("the OCSP answer from \(url) cannot be trusted: \(error.reason)", expected: wanted)
            } catch {
                throw fail("\(error)", harness: true)
            }
            guard status.isRevoked == (expectation.status == .revoked), status != .unknown else {
                throw fail("the OCSP responder at \(url) says \(status)", expected: wanted, actual: "\(status)")
            }
        }
    }
}
