import SwiftASN1
import X509

/// A swift-certificates `VerifierPolicy` for the JPKI profile: it takes responsibility for the critical
/// CertificatePolicies extension real (and test) JPKI certificates carry, which `RFC5280Policy` does not handle and
/// so would reject, and checks the leaf asserts the policy of its kind.
///
/// Use it next to `RFC5280Policy`: `Verifier(rootCertificates: store) { RFC5280Policy(); JPKIPolicy(kind: .signing) }`.
public struct JPKIPolicy: VerifierPolicy, Sendable {
    public let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [CertificatePolicies.extensionID]

    /// The kind the leaf must be, or nil to accept either JPKI policy.
    public let kind: JPKICertificateKind?

    public init(kind: JPKICertificateKind?) {
        self.kind = kind
    }

    public mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult
    {
        let accepted =
            self.kind.map { [JPKIObjectIdentifiers.policy(for: $0)] }
            ?? JPKICertificateKind.allCases.map(JPKIObjectIdentifiers.policy(for:))
        let asserted: [String]
        do {
            asserted = try CertificatePolicies.identifiers(in: chain.leaf.extensions)
        } catch {
            return .failsToMeetPolicy(reason: "the leaf's CertificatePolicies extension is malformed: \(error)")
        }
        guard asserted.contains(where: accepted.contains) else {
            return .failsToMeetPolicy(reason: "the leaf asserts policies \(asserted), none of \(accepted)")
        }
        return .meetsPolicy
    }
}
