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
        if !chip.faults.isEmpty { applyJPKIFaults(to: &jpki) }
        return [jpki] + ((try? otherApplications()) ?? [])
    }

    /// The JPKI faults that are data on the card (a file's bytes, an access rule, a counter), not behaviour of the
    /// card OS; the behaviour faults are in `EmulatedCard`'s command handlers.
    private func applyJPKIFaults(to jpki: inout CardApplication) {
        let faults = chip.faults
        if faults.contains(.tokenLabelPadding),
            case .transparent(var info)? = jpki.files[JPKIApplication.tokenInfo]
        {
            // The blanks after the label, in the label field's 32 bytes, become NULs.
            var end = 32
            while end > 0 && info.content[end - 1] == 0x20 {
                info.content[end - 1] = 0x00
                end -= 1
            }
            jpki.files[JPKIApplication.tokenInfo] = .transparent(info)
        }
        if faults.contains(.authCACertificateMismatch) {
            jpki.files[JPKIApplication.authenticationCACertificate] = .transparent(
                TransparentFile(content: self.jpki.signingCA))
        }
        if faults.contains(.signingCertificateUnprotected),
            case .transparent(var certificate)? = jpki.files[JPKIApplication.signingCertificate]
        {
            certificate.readAccess = .always
            jpki.files[JPKIApplication.signingCertificate] = .transparent(certificate)
        }
        for (fault, fid, limit) in [
            (CardFault.authPINFiveTries, JPKIApplication.authenticationPIN, 5),
            (.signingPasswordThreeTries, JPKIApplication.signingPassword, 3),
        ] where faults.contains(fault) {
            guard case .credential(var credential)? = jpki.files[fid] else { continue }
            credential.counter = RetryCounter(limit: limit)
            jpki.files[fid] = .credential(credential)
        }
        if case .signingKey(var key)? = jpki.files[JPKIApplication.signingKey] {
            if faults.contains(.authPINUnlocksSigningKey) {
                key.useAccess = .verified([JPKIApplication.signingPassword, JPKIApplication.authenticationPIN])
            }
            if faults.contains(.signingKeyIsAuthKey) { key.key = self.jpki.authenticationKey }
            jpki.files[JPKIApplication.signingKey] = .signingKey(key)
        }
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
