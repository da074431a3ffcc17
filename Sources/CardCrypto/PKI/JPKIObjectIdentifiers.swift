/// Object identifiers of the JPKI certificate profile, as dotted strings so callers need not import SwiftASN1.
public enum JPKIObjectIdentifiers {
    /// Certificate policy of the user-authentication certificate (seen in a real card's certificate).
    public static let authenticationPolicy = "1.2.392.200149.8.5.1.3.30"
    /// Certificate policy of the signing certificate. J-LIS's production signing policy is `…8.5.1.1.20`
    /// (named `jpki-cp-sign-class20` in jsrsasign-style OID tables, and cited from the J-LIS profile specification
    /// 「公的個人認証サービス プロファイル仕様書」 3.2 by projects that check real signing certificates), so the test PKI
    /// uses it too: a client that checks the policy then behaves as it would with a real card.
    public static let signingPolicy = "1.2.392.200149.8.5.1.1.20"

    /// SubjectAltName otherName: the holder's name (氏名).
    public static let name = "1.2.392.200149.8.5.5.1"
    /// SubjectAltName otherName: which characters of the name are substitutes (氏名代替文字の使用位置情報).
    public static let nameAlternative = "1.2.392.200149.8.5.5.2"
    /// SubjectAltName otherName: sex (性別).
    public static let sex = "1.2.392.200149.8.5.5.3"
    /// SubjectAltName otherName: birth date (生年月日), written `EYYYYMMDD` (see ``CertificateHolder/encodedBirthDate``).
    public static let birthDate = "1.2.392.200149.8.5.5.4"
    /// SubjectAltName otherName: address (住所).
    public static let address = "1.2.392.200149.8.5.5.5"
    /// SubjectAltName otherName: which characters of the address are substitutes (住所代替文字の使用位置情報).
    public static let addressAlternative = "1.2.392.200149.8.5.5.6"

    /// The certificate policy a certificate of `kind` carries.
    public static func policy(for kind: JPKICertificateKind) -> String {
        switch kind {
        case .authentication: authenticationPolicy
        case .signing: signingPolicy
        }
    }
}
