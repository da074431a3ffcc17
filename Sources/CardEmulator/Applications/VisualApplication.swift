import APDU
import CardCrypto

/// 券面事項確認AP (visual AP), laid out as jpki-protocol.md §4 records the real card: the card face (EF 0002) with
/// its offset table, images and the signature over three groups of hashes, the age record, the My Number image,
/// the AP's own signing key, and the three keys that open them (birth date, 照合番号B, 照合番号A).
public enum VisualApplication {
    public static let aid: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02]

    public static let ageRecord = FileID(0x0001)
    public static let cardFace = FileID(0x0002)
    public static let basicInformation = FileID(0x0003)
    public static let certificate = FileID(0x0004)
    public static let myNumberImage = FileID(0x0005)
    public static let unknown0006 = FileID(0x0006)
    public static let birthDateKey = FileID(0x0011)
    public static let codeB = FileID(0x0012)
    public static let codeA = FileID(0x0013)
    /// The AP's own key: soltia48's docs name EF 001A; clients reach it with `80 2A 00 00` (P2 00).
    public static let signingKey = FileID(0x001A)

    /// READ BINARY's 15-bit offset reaches 32 767 bytes: the whole card face must fit below it (research §4.2).
    public static let maximumCardFaceSize = 0x7FFF

    static func build(_ content: VisualAPContent, profile: CardProfile, issuer: CardIssuerKeys) throws(CryptoError)
        -> CardApplication
    {
        let holder = profile.holder
        let faults = profile.chip.faults
        let cardKey = content.key.publicKey
        let municipalityKeyID = CardIssuerKeys.municipalityKeyID(municipalityCode: holder.municipalityCode ?? "00000")
        let codeAOnly: AccessCondition = .verified(
            faults.contains(.visualCodeBOpensMyNumberImage) ? [codeA, codeB] : [codeA])
        let either: AccessCondition = .verified([codeA, codeB])

        var files: [FileID: ElementaryFile] = [
            ageRecord: .transparent(
                TransparentFile(
                    content: try signedRecord(
                        outer: 0xFF10,
                        fields: [
                            CardFileTLV.object(0xDF11, Array(holder.birthDate.yyyymmdd.utf8)),
                            CardFileTLV.object(0xDF12, cardKey.keyTemplate),
                        ], signatureTag: 0xDF13, signer: issuer.municipality),
                    readAccess: .verified(birthDateKey))),
            cardFace: .transparent(
                TransparentFile(
                    content: try cardFaceBytes(content, holder: holder, signer: issuer.municipality, faults: faults),
                    readAccess: either)),
            basicInformation: .transparent(TransparentFile(content: basicInformationBytes(profile))),
            certificate: .transparent(
                TransparentFile(
                    content: try CardVerifiableCertificate.make(
                        issuerKeyID: CardIssuerKeys.visualCAKeyID, subjectKeyID: municipalityKeyID,
                        subjectKey: issuer.municipality.publicKey, issuer: issuer.visualCA))),
            myNumberImage: .transparent(
                TransparentFile(
                    content: try signedRecord(
                        outer: 0xFF40,
                        fields: [
                            CardFileTLV.object(0xDF41, content.myNumberImage),
                            CardFileTLV.object(0xDF42, cardKey.keyTemplate),
                        ], signatureTag: 0xDF43, signer: issuer.municipality),
                    readAccess: codeAOnly)),
            unknown0006: .transparent(
                TransparentFile(content: [UInt8](repeating: 0xFF, count: 16), readAccess: either)),
            signingKey: .signingKey(SigningKeyObject(key: content.key, useAccess: .always)),
        ]
        let counters = content.counters
        for (fid, label, value, format, name) in [
            (
                birthDateKey, "生年月日", JapaneseEra.yymmdd(holder.birthDate) ?? "", CredentialFormat.eraBirthDate,
                "birth_date"
            ),
            (codeB, "照合番号B", holder.verificationCodeB ?? "", .verificationCodeB, "code_b"),
            (codeA, "照合番号A", holder.myNumber, .verificationCodeA, "code_a"),
        ] {
            var credential = Credential(
                label: label, value: Array(value.utf8), counter: counters.counter(name), format: format)
            credential.change = nil
            files[fid] = .credential(credential)
        }
        var application = CardApplication(name: "visual", aid: aid, files: files)
        application.defaultKey = signingKey
        return application
    }

    /// EF 0002, the card face: `FF 20` { `DF 21` offsets of the nine objects that follow, `DF 22` birth date,
    /// `DF 23` sex, `DF 24` the card's public key, `DF 25`/`DF 26` name and address images, `DF 27` face photo,
    /// `DF 28` signature, `DF 29` expiry, `DF 2A` security-code image } (research §4.2).
    ///
    /// `DF 28` is the municipality key's PKCS#1 v1.5 signature over a SHA-256 DigestInfo whose digest is three
    /// hashes: of `DF 22`‖`DF 23`‖`DF 24`, of `DF 25`‖`DF 26`, of `DF 27`, each over the objects as written
    /// (soltia48 src/ap/surface.rs `CardFace::verify`). `DF 29` and `DF 2A` are not covered.
    static func cardFaceBytes(
        _ content: VisualAPContent, holder: CardHolder, signer: RSAPrivateKey, faults: Set<CardFault>
    ) throws(CryptoError) -> [UInt8] {
        let birth = CardFileTLV.object(0xDF22, Array(holder.birthDate.yyyymmdd.utf8))
        let sex = CardFileTLV.object(0xDF23, Array(holder.sex.utf8))
        let key = CardFileTLV.object(0xDF24, content.key.publicKey.keyTemplate)
        let name = CardFileTLV.object(0xDF25, content.nameImage)
        let address = CardFileTLV.object(0xDF26, content.addressImage)
        let photo = CardFileTLV.object(0xDF27, content.facePhoto)
        let signedDigest: [UInt8]
        if faults.contains(.cardFaceSignature) {
            signedDigest = HashAlgorithm.sha256.hash(birth + sex + key + name + address + photo)
        } else {
            signedDigest =
                HashAlgorithm.sha256.hash(birth + sex + key) + HashAlgorithm.sha256.hash(name + address)
                + HashAlgorithm.sha256.hash(photo)
        }
        let signature = try signer.signPKCS1v15(raw: sha256DigestInfo(wrapping: signedDigest))
        let expiry = CardFileTLV.object(0xDF29, Array((holder.cardExpiry?.yyyymmdd ?? "").utf8))
        let securityCode = CardFileTLV.object(0xDF2A, content.securityCodeImage)
        return CardFileTLV.withOffsetTable(
            outer: 0xFF20, table: 0xDF21,
            fields: [
                birth, sex, key, name, address, photo, CardFileTLV.object(0xDF28, signature), expiry, securityCode,
            ])
    }

    /// A SHA-256 DigestInfo around any number of digest bytes: the card face's holds three hashes (96 bytes),
    /// which is why it is built here rather than by `DigestInfo`, which insists on one 32-byte hash.
    static func sha256DigestInfo(wrapping digest: [UInt8]) -> [UInt8] {
        let algorithm: [UInt8] = [
            0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
        ]
        return BERTLV(tag: BERTag(0x30), value: algorithm + BERTLV(tag: BERTag(0x04), value: digest).encoded).encoded
    }

    /// A record whose last object is the municipality key's signature (PKCS#1 v1.5, SHA-256) over every object
    /// before it, as written: visual EF 0001 and EF 0005 (soltia48 src/ap/surface.rs).
    static func signedRecord(outer: UInt16, fields: [[UInt8]], signatureTag: UInt16, signer: RSAPrivateKey)
        throws(CryptoError) -> [UInt8]
    {
        let covered = fields.flatMap { $0 }
        let signature = try signer.signPKCS1v15(raw: DigestInfo.of(.sha256, message: covered))
        return CardFileTLV.object(outer, covered + CardFileTLV.object(signatureTag, signature))
    }

    /// EF 0003: `FF 30` { `DF 31` `06 03 0E 01`, `DF 32` a key ID, `DF 33` version, `DF 34` the municipality
    /// code, `DF 35` a key ID + 256 opaque bytes } (research §4.1; DF 35's meaning is unknown).
    static func basicInformationBytes(_ profile: CardProfile) -> [UInt8] {
        CardFileTLV.object(
            0xFF30,
            CardFileTLV.object(0xDF31, [0x06, 0x03, 0x0E, 0x01])
                + CardFileTLV.object(0xDF32, KeyIdentifier.make("6000024"))
                + CardFileTLV.object(0xDF33, [0x01])
                + CardFileTLV.object(0xDF34, Array((profile.holder.municipalityCode ?? "").utf8))
                + CardFileTLV.object(
                    0xDF35,
                    KeyIdentifier.make("6000025") + opaqueBytes(256, label: "visual AP DF35/\(profile.name)")))
    }
}
