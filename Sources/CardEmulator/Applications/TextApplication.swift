import APDU
import CardCrypto

/// 券面事項入力補助AP (text AP), laid out as jpki-protocol.md §3 records the real card: the My Number and the four
/// attributes as TLV, an integrity record signed by the municipality key its CV certificate carries, the AP's
/// own signing key, and three credentials — the PIN opens everything, 照合番号A the number, 照合番号B the
/// attributes.
public enum TextApplication {
    public static let aid: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08]

    public static let myNumber = FileID(0x0001)
    public static let attributes = FileID(0x0002)
    public static let integrityRecord = FileID(0x0003)
    public static let certificate = FileID(0x0004)
    public static let basicInformation = FileID(0x0005)
    public static let sessionKey = FileID(0x0006)
    public static let signedPublicKey = FileID(0x0007)
    public static let unknown0008 = FileID(0x0008)
    public static let pin = FileID(0x0011)
    public static let blocked0012 = FileID(0x0012)
    public static let signingKey = FileID(0x0013)
    public static let codeA = FileID(0x0014)
    public static let codeB = FileID(0x0015)

    /// Sizes the clients read exactly (jpki/myna 0.5.1, research §7): EF 0001 17, EF 0005 256 bytes.
    static let myNumberFileSize = 17
    static let basicInformationSize = 256
    /// An unwritten EF 0002 is this many `FF` bytes: its allocation on a real card is not public [ASSUMPTION].
    static let unwrittenAttributesSize = 256

    static func build(_ content: TextAPContent, profile: CardProfile, issuer: CardIssuerKeys) throws(CryptoError)
        -> CardApplication
    {
        let holder = profile.holder
        let faults = profile.chip.faults
        let myNumberFile = content.myNumberFile ?? myNumberBytes(holder.myNumber)
        let attributesFile =
            content.attributesFile
            ?? attributeBytes(holder, shift: faults.contains(.textOffsetTable) ? 1 : 0)
        let municipalityKeyID = CardIssuerKeys.municipalityKeyID(municipalityCode: holder.municipalityCode ?? "00000")

        let pinOrA: AccessCondition = .verified([pin, codeA])
        let pinOrB: AccessCondition = .verified(
            faults.contains(.textCodeAOpensAttributes) ? [pin, codeA, codeB] : [pin, codeB])
        let any: AccessCondition = .verified([pin, codeA, codeB])
        var files: [FileID: ElementaryFile] = [
            certificate: .transparent(
                TransparentFile(
                    content: try CardVerifiableCertificate.make(
                        issuerKeyID: CardIssuerKeys.textCAKeyID, subjectKeyID: municipalityKeyID,
                        subjectKey: issuer.municipality.publicKey, issuer: issuer.textCA))),
            basicInformation: .transparent(TransparentFile(content: basicInformationBytes(content, profile: profile))),
            sessionKey: .transparent(
                TransparentFile(
                    content: BERTLV(tag: BERTag(0xA1), value: content.sessionKey.publicKey.keyTemplate).encoded,
                    readAccess: any)),
            signedPublicKey: .transparent(
                TransparentFile(content: try signedKeyRecord(content.key.publicKey, signer: issuer), readAccess: any)),
            unknown0008: .transparent(TransparentFile(content: [UInt8](repeating: 0xFF, count: 16), readAccess: any)),
            signingKey: .signingKey(SigningKeyObject(key: content.key, useAccess: .always)),
        ]
        if content.written {
            files[myNumber] = .transparent(TransparentFile(content: myNumberFile, readAccess: pinOrA))
            files[attributes] = .transparent(TransparentFile(content: attributesFile, readAccess: pinOrB))
            files[integrityRecord] = .transparent(
                TransparentFile(
                    content: try integrityRecordBytes(
                        myNumberFile: myNumberFile, attributesFile: attributesFile, signer: issuer.municipality,
                        hashesTableToo: faults.contains(.textIntegrityHash)),
                    readAccess: any))
        } else {
            // Never written: the EFs are allocated and erased [ASSUMPTION: docs/card-model.md].
            files[myNumber] = .transparent(TransparentFile(content: erased(myNumberFileSize), readAccess: pinOrA))
            files[attributes] = .transparent(
                TransparentFile(content: erased(unwrittenAttributesSize), readAccess: pinOrB))
            files[integrityRecord] = .transparent(TransparentFile(content: erased(336), readAccess: any))
        }

        let counters = content.counters
        var textPIN = counters.counter("pin")
        if counters.triesLeft["pin"] == nil, let left = profile.pins["text"]?.triesLeft {
            textPIN = RetryCounter(limit: textPIN.limit, remaining: left)
        }
        files[pin] = .credential(
            Credential(
                label: "券面事項入力補助用暗証番号", value: Array((profile.pins["text"]?.value ?? "").utf8),
                counter: textPIN, format: .fourDigits))
        // 0012 is blocked on every card examined (research §3.1, soltia48): empty VERIFY 63C0, VERIFY 6984.
        var blocked = Credential(
            label: "blocked key 0012", value: [], counter: RetryCounter(limit: 3, remaining: 0), format: .fourDigits)
        blocked.change = nil
        files[blocked0012] = .credential(blocked)
        var a = Credential(
            label: "照合番号A", value: Array(holder.myNumber.utf8), counter: counters.counter("code_a"),
            format: .verificationCodeA)
        a.change = nil
        files[codeA] = .credential(a)
        var b = Credential(
            label: "照合番号B", value: Array((holder.verificationCodeB ?? "").utf8), counter: counters.counter("code_b"),
            format: .verificationCodeB)
        b.change = nil
        files[codeB] = .credential(b)

        var application = CardApplication(name: "text", aid: aid, files: files)
        application.defaultKey = signingKey
        return application
    }

    /// EF 0001: `FF 10 0C` + 12 ASCII digits + `FF FF` filler, 17 bytes (research §3.2).
    public static func myNumberBytes(_ number: String) -> [UInt8] {
        let object = CardFileTLV.object(0xFF10, Array(number.utf8))
        return object + [UInt8](repeating: 0xFF, count: max(0, myNumberFileSize - object.count))
    }

    /// EF 0002: `FF 20` { `DF 21` offsets, `DF 22` name, `DF 23` address, `DF 24` birth date, `DF 25` sex }.
    public static func attributeBytes(_ holder: CardHolder, shift: Int = 0) -> [UInt8] {
        CardFileTLV.withOffsetTable(
            outer: 0xFF20, table: 0xDF21,
            fields: [
                CardFileTLV.object(0xDF22, Array(holder.name.utf8)),
                CardFileTLV.object(0xDF23, Array(holder.address.utf8)),
                CardFileTLV.object(0xDF24, Array(holder.birthDate.yyyymmdd.utf8)),
                CardFileTLV.object(0xDF25, Array(holder.sex.utf8)),
            ], shift: shift)
    }

    /// EF 0003: `FF 30` { `DF 31` SHA-256 of EF 0001 as stored (filler included), `DF 32` SHA-256 of EF 0002's
    /// outer value after the `DF 21` object, `DF 33` the municipality key's signature (PKCS#1 v1.5, SHA-256) over
    /// the `DF 31` and `DF 32` objects as written } — 336 bytes (soltia48 src/ap/text.rs `IntegrityRecord`).
    static func integrityRecordBytes(
        myNumberFile: [UInt8], attributesFile: [UInt8], signer: RSAPrivateKey, hashesTableToo: Bool
    ) throws(CryptoError) -> [UInt8] {
        var covered = attributesFile
        if let (outer, _) = try? BERTLV.parseFirst(attributesFile) {
            covered = outer.value
            if !hashesTableToo, let (table, length) = try? BERTLV.parseFirst(outer.value),
                table.tag == CardFileTLV.tag(0xDF21)
            {
                covered = Array(outer.value.dropFirst(length))
            }
        }
        let hashes =
            CardFileTLV.object(0xDF31, HashAlgorithm.sha256.hash(myNumberFile))
            + CardFileTLV.object(0xDF32, HashAlgorithm.sha256.hash(covered))
        let signature = try signer.signPKCS1v15(raw: DigestInfo.of(.sha256, message: hashes))
        return CardFileTLV.object(0xFF30, hashes + CardFileTLV.object(0xDF33, signature))
    }

    /// EF 0005: `FF 40` { `DF 41` `01 03 0E 01`, `DF 42` a key ID, `DF 43` 32 bytes + 96 × `FF` }, padded with
    /// `FF` to the 256 bytes jpki/myna 0.5.1 reads (research §3.2). DF 43's meaning is unknown: opaque bytes.
    static func basicInformationBytes(_ content: TextAPContent, profile: CardProfile) -> [UInt8] {
        let trailing = opaqueBytes(32, label: "text AP basic information/\(profile.name)") + erased(96)
        let object = CardFileTLV.object(
            0xFF40,
            CardFileTLV.object(0xDF41, [0x01, 0x03, 0x0E, 0x01])
                + CardFileTLV.object(0xDF42, KeyIdentifier.make("6000034"))
                + CardFileTLV.object(0xDF43, trailing))
        return object + erased(max(0, basicInformationSize - object.count))
    }

    /// EF 0007: `FF 50` { `DF 51` the AP key's public half, `DF 52` the municipality key's signature over the
    /// `DF 51` object } (soltia48 src/ap/text.rs `SignedPublicKey`).
    static func signedKeyRecord(_ key: RSAPublicKey, signer: CardIssuerKeys) throws(CryptoError) -> [UInt8] {
        let keyObject = CardFileTLV.object(0xDF51, key.keyTemplate)
        let signature = try signer.municipality.signPKCS1v15(raw: DigestInfo.of(.sha256, message: keyObject))
        return CardFileTLV.object(0xFF50, keyObject + CardFileTLV.object(0xDF52, signature))
    }

    static func erased(_ count: Int) -> [UInt8] { [UInt8](repeating: 0xFF, count: count) }
}
