import APDU
import CardEmulator

/// The `${card.…}` values of the APs beyond JPKI: the card-face fields, the 照合番号 (secret, like PINs), the
/// common AP's public key for checking INTERNAL AUTHENTICATE, and the CRL a profile's revocation state rests on.
/// A value the profile does not give is left out, so a scenario that needs it stops with a clear error.
enum ChipVariables {
    static func values(for profile: CardProfile) -> [String: String] {
        let holder = profile.holder
        var values: [String: String] = ["card.codes.a": holder.myNumber]
        values["card.codes.b"] = holder.verificationCodeB
        values["card.codes.birth_date"] = JapaneseEra.yymmdd(holder.birthDate)
        values["card.holder.card_expiry"] = holder.cardExpiry?.yyyymmdd
        values["card.holder.security_code"] = holder.securityCode
        values["card.holder.municipality_code"] = holder.municipalityCode
        values["card.holder.card_serial"] = holder.cardSerial
        values["card.keys.common_ap"] = profile.chip.common.map { Hex.encode($0.key.publicKey.keyTemplate) }
        values["card.revocation.crl"] = profile.chip.revocationList
        return values
    }
}
