import APDU
import CardCrypto

/// The pre-installed common AP `D3 92 10 00 31 00 01 01 01 00` (soltia48/myna-card calls it 共通カードAP; it is not
/// the free area's Type C) and the 住基AP `…01 04 01`, as jpki-protocol.md §5 records them: record-structured EFs
/// read with READ RECORD, the 4-digit 住民基本台帳用 PIN `001C` in each, changed with CHANGE KEY `80 32`, and in
/// the common AP an INTERNAL AUTHENTICATE key `0019` that needs no credential.
public enum CommonApplication {
    public static let aid: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00]

    public static let cardRecord = FileID(0x0001)
    public static let keyReference = FileID(0x0002)
    public static let authenticationKey = FileID(0x0019)
    public static let pin = FileID(0x001C)

    static func build(_ content: CommonAPContent, profile: CardProfile) -> CardApplication {
        var key = SigningKeyObject(key: content.key, useAccess: .always)
        key.signsData = false
        key.internalAuthenticationHash = profile.chip.faults.contains(.internalAuthenticateSHA1) ? .sha1 : .sha256
        let files: [FileID: ElementaryFile] = [
            cardRecord: .records(RecordFile(records: [cardRecordBytes(profile.holder)])),
            keyReference: .records(RecordFile(records: [keyReferenceBytes])),
            authenticationKey: .signingKey(key),
            pin: .credential(ResidentRegistryPIN.make(profile, counters: content.counters)),
        ]
        return CardApplication(name: "common", aid: aid, files: files)
    }

    /// EF 0001 record 1: simple TLV `01 1C` + 28 ASCII digits — the 15-digit card serial, the 5-digit
    /// municipality code, the expiry `YYYYMMDD` (research §5.1).
    public static func cardRecordBytes(_ holder: CardHolder) -> [UInt8] {
        let text = (holder.cardSerial ?? "") + (holder.municipalityCode ?? "") + (holder.cardExpiry?.yyyymmdd ?? "")
        return [0x01, UInt8(truncatingIfNeeded: text.utf8.count)] + Array(text.utf8)
    }

    /// EF 0002 record 1 (here and in the 住基AP): one 16-byte key reference; its number is ours.
    public static let keyReferenceBytes = KeyIdentifier.make("6000019")
}

public enum JukiApplication {
    public static let aid: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01]

    public static let keyReference = FileID(0x0002)
    public static let pin = FileID(0x001C)

    static func build(_ content: JukiAPContent, profile: CardProfile) -> CardApplication {
        let files: [FileID: ElementaryFile] = [
            keyReference: .records(RecordFile(records: [CommonApplication.keyReferenceBytes])),
            pin: .credential(ResidentRegistryPIN.make(profile, counters: content.counters)),
        ]
        return CardApplication(name: "juki", aid: aid, files: files)
    }
}

/// The 住民基本台帳用 PIN: one value (`pins.juki`) in two key references — the common AP's `001C` and the
/// juki AP's `001C` — each with its own counter (research §5.2).
enum ResidentRegistryPIN {
    static func make(_ profile: CardProfile, counters: CredentialCounters) -> Credential {
        var counter = counters.counter("pin")
        if counters.triesLeft["pin"] == nil, let left = profile.pins["juki"]?.triesLeft {
            counter = RetryCounter(limit: counter.limit, remaining: left)
        }
        var credential = Credential(
            label: "住民基本台帳用暗証番号", value: Array((profile.pins["juki"]?.value ?? "").utf8), counter: counter,
            format: .fourDigits)
        credential.change = .changeKey
        credential.changeNeedsVerification = !profile.chip.faults.contains(.changeKeyWithoutVerify)
        return credential
    }
}
