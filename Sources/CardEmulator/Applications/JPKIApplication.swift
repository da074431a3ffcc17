import APDU
import CardCrypto

/// The JPKI AP (公的個人認証AP), laid out as jpki-protocol.md §2 records the real card.
public enum JPKIApplication {
    public static let aid: [UInt8] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]

    public static let signingCertificate = FileID(0x0001)
    public static let signingCACertificate = FileID(0x0002)
    public static let tokenInfo = FileID(0x0006)
    public static let certificatePresence = FileID(0x0008)
    public static let protectedData = FileID(0x0009)
    public static let authenticationCertificate = FileID(0x000A)
    public static let authenticationCACertificate = FileID(0x000B)
    public static let authenticationKey = FileID(0x0017)
    public static let authenticationPIN = FileID(0x0018)
    public static let signingKey = FileID(0x001A)
    public static let signingPassword = FileID(0x001B)

    /// Default retry limits: OpenSC jpki.h `JPKI_AUTH_PIN_MAX_TRIES 3`, `JPKI_SIGN_PIN_MAX_TRIES 5`.
    public static let authenticationPINLimit = 3
    public static let signingPasswordLimit = 5

    static func build(_ content: JPKIContent, pins: [String: PINSetting], asOf: CalendarDate) -> CardApplication {
        var files: [FileID: ElementaryFile] = [
            signingCACertificate: .transparent(TransparentFile(content: content.signingCA)),
            tokenInfo: .transparent(TransparentFile(content: tokenInfoBytes(content, asOf: asOf))),
            certificatePresence: .transparent(
                TransparentFile(content: [content.signingCertificate == nil ? 0x00 : 0x8F, 0x8F, 0x00])
            ),
            protectedData: .transparent(
                TransparentFile(content: [UInt8](repeating: 0xFF, count: 16), readAccess: .never)),
            authenticationCertificate: .transparent(TransparentFile(content: content.authenticationCertificate)),
            authenticationCACertificate: .transparent(TransparentFile(content: content.authenticationCA)),
            authenticationKey: .signingKey(
                SigningKeyObject(key: content.authenticationKey, useAccess: .verified(authenticationPIN))
            ),
            authenticationPIN: .credential(
                credential(
                    "auth", label: "利用者証明用電子証明書暗証番号", pins: pins, limit: authenticationPINLimit, format: .fourDigits)
            ),
        ]
        // A card without a signing certificate (holder under 15) has neither the certificate, its key nor the
        // password that guards them (an assumption: docs/card-model.md).
        if let certificate = content.signingCertificate, let key = content.signingKey {
            files[signingCertificate] = .transparent(
                TransparentFile(content: certificate, readAccess: .verified(signingPassword))
            )
            files[signingKey] = .signingKey(SigningKeyObject(key: key, useAccess: .verified(signingPassword)))
            files[signingPassword] = .credential(
                credential(
                    "sign", label: "署名用電子証明書パスワード", pins: pins, limit: signingPasswordLimit, format: .signingPassword)
            )
        }
        return CardApplication(name: "JPKI", aid: aid, files: files)
    }

    private static func credential(
        _ name: String,
        label: String,
        pins: [String: PINSetting],
        limit: Int,
        format: CredentialFormat
    ) -> Credential {
        let setting = pins[name]
        return Credential(
            label: label,
            value: Array((setting?.value ?? "").utf8),
            counter: RetryCounter(limit: limit, remaining: setting?.triesLeft),
            format: format
        )
    }

    /// EF 0006: a serialised PKCS#11 CK_TOKEN_INFO of 160 bytes (jpki-protocol.md §2.5); integers big-endian.
    static func tokenInfoBytes(_ content: JPKIContent, asOf: CalendarDate) -> [UInt8] {
        func text(_ value: String, _ width: Int) -> [UInt8] {
            let bytes = Array(value.utf8.prefix(width))
            return bytes + [UInt8](repeating: 0x20, count: width - bytes.count)
        }
        func ulong(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
        var info = text(content.tokenLabel, 32)
        info += text("00000000000000000000000000000001", 32)  // manufacturerID
        info += text("MYNACONF", 16)  // model: says plainly this is the emulator
        info += text(content.tokenSerial, 16)
        info += ulong(0x0000_040D)  // RNG, LOGIN_REQUIRED, USER_PIN_INITIALIZED, TOKEN_INITIALIZED
        info += ulong(1) + ulong(0) + ulong(1) + ulong(0)  // sessions
        info += ulong(16) + ulong(6)  // max/min PIN length
        info += [UInt8](repeating: 0xFF, count: 16)  // memory sizes unknown
        info += Array("03".utf8) + Array("01".utf8)  // hardware, firmware version
        info += Array((asOf.yyyymmdd + "00000000").utf8)  // utcTime: YYYYMMDDhhmmss00
        return info
    }
}
