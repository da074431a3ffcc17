import APDU
import CardCrypto

extension CardProfile {
    /// The JPKI AP and the other applications the profile describes, with its deliberate faults applied.
    /// A builder fails only if a committed key cannot sign; the loader builds every AP once so such a profile is
    /// refused at load, and an AP that still cannot be built is left off the card.
    func chipApplications(jpki: CardApplication) -> [CardApplication] {
        var jpki = jpki
        if chip.faults.contains(.under15PresenceFlags) {
            jpki.files[JPKIApplication.certificatePresence] = .transparent(
                TransparentFile(content: [0x8F, 0x8F, 0x00]))
        }
        return [jpki] + ((try? otherApplications()) ?? [])
    }

    /// The text, visual, juki and common APs; throws the first signing failure.
    func otherApplications() throws(CryptoError) -> [CardApplication] {
        var applications: [CardApplication] = []
        if let issuer = chip.issuer {
            if let text = chip.text {
                applications.append(try TextApplication.build(text, profile: self, issuer: issuer))
            }
            if let visual = chip.visual {
                applications.append(try VisualApplication.build(visual, profile: self, issuer: issuer))
            }
        }
        if let juki = chip.juki { applications.append(JukiApplication.build(juki, profile: self)) }
        if let common = chip.common { applications.append(CommonApplication.build(common, profile: self)) }
        return applications
    }
}

extension CardHolder {
    /// 照合番号B as the card face makes it, or nil when the profile lacks the expiry or security code.
    public var verificationCodeB: String? {
        guard let cardExpiry, let securityCode else { return nil }
        return VerificationCode.codeB(birthDate: birthDate, cardExpiry: cardExpiry, securityCode: securityCode)
    }
}
