import SwiftASN1
import X509

/// The certificatePolicies extension (RFC 5280 §4.2.1.4), which swift-certificates has no type for.
/// Only policy identifiers are written: the real certificates' CPS qualifier points at J-LIS's statement, which does
/// not govern a test PKI.
enum CertificatePolicies {
    static let extensionID: ASN1ObjectIdentifier = [2, 5, 29, 32]

    /// The extension, critical as on real JPKI certificates.
    static func makeExtension(policies: [String]) throws -> Certificate.Extension {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { list in
            for policy in policies {
                try list.appendConstructedNode(identifier: .sequence) { information in
                    try information.serialize(try ASN1ObjectIdentifier(dotRepresentation: policy))
                }
            }
        }
        return Certificate.Extension(oid: extensionID, critical: true, value: serializer.serializedBytes[...])
    }

    /// The policy identifiers in the certificate, in order; empty when there is no such extension. Qualifiers are
    /// skipped.
    static func identifiers(in extensions: Certificate.Extensions) throws -> [String] {
        guard let policies = extensions.first(where: { $0.oid == extensionID }) else { return [] }
        let root = try DER.parse(policies.value)
        return try DER.sequence(root, identifier: .sequence) { list in
            var identifiers: [String] = []
            while let information = list.next() {
                identifiers.append(
                    try DER.sequence(information, identifier: .sequence) { fields in
                        let oid = try ASN1ObjectIdentifier(derEncoded: &fields)
                        while fields.next() != nil {}
                        return oid.description
                    }
                )
            }
            return identifiers
        }
    }
}
