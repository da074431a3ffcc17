import APDU
import CardCrypto

/// CHANGE KEY and INTERNAL AUTHENTICATE: the two commands the common and juki APs add to what the JPKI AP uses
/// (jpki-protocol.md §1.4, §5). Both are driven by what the key and credential objects say they allow, so no
/// application is special-cased here.
extension EmulatedCard {
    /// CHANGE KEY `80 32 00 80|SFI Lc <new value>` (JICSAP): replaces a credential's value after a VERIFY, for
    /// the credentials whose `change` is `.changeKey` (the 住民基本台帳用 PIN `001C`).
    mutating func changeKey(_ command: CommandAPDU) -> ResponseAPDU {
        replaceCredentialValue(command, p1: 0x00, by: .changeKey)
    }

    /// CHANGE REFERENCE DATA and CHANGE KEY share one rule: the command the credential allows, not blocked, verified
    /// just before (unless a faulty profile says otherwise), and a new value of the credential's format.
    mutating func replaceCredentialValue(_ command: CommandAPDU, p1: UInt8, by change: CredentialChange)
        -> ResponseAPDU
    {
        guard command.p1 == p1 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        guard command.le == nil, !command.data.isEmpty else { return ResponseAPDU(statusWord: .wrongLength) }
        let fid: FileID
        do {
            fid = try credentialReference(p2: command.p2)
        } catch {
            return ResponseAPDU(statusWord: error.statusWord)
        }
        let verified = securityState.verified.contains(fid)
        // The fault change_pin_accepts_malformed: the JPKI AP's CHANGE REFERENCE DATA skips the format check.
        let acceptsMalformed =
            change == .changeReferenceData && faults.contains(.changePINAcceptsMalformed) && inJPKI
        return withCredential(fid) { credential in
            // 照合番号 change with the card face, never by command; each PIN by the one command its AP uses.
            guard credential.change == change else { return ResponseAPDU(statusWord: .commandNotAllowed) }
            guard !credential.counter.isBlocked else { return ResponseAPDU(statusWord: .referencedDataNotUsable) }
            guard verified || !credential.changeNeedsVerification else {
                return ResponseAPDU(statusWord: .securityStatusNotSatisfied)
            }
            guard credential.format.accepts(command.data) || acceptsMalformed else {
                return ResponseAPDU(statusWord: .wrongData)
            }
            credential.value = command.data
            return ResponseAPDU(statusWord: .success)
        }
    }

    /// INTERNAL AUTHENTICATE `00 88 00 80|SFI Lc <challenge> Le`: the key signs the DigestInfo of the challenge's
    /// hash (SHA-256 on the common AP's `0019`, `00 88 00 99`). Every key that does not allow it — the JPKI keys,
    /// which would otherwise sign a host's challenge without the PIN, and the 券面 APs' keys — answers `69 85`.
    func internalAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard let app = currentApplication else { return ResponseAPDU(statusWord: .commandNotAllowed) }
        let files = applications[app].files
        var keyID: FileID?
        if command.p2 & 0x80 != 0, command.p2 & 0x60 == 0 {
            let sfi = command.p2 & 0x1F
            keyID = sfi == 0 ? currentFile : applications[app].fileID(shortIdentifier: sfi)
        }
        guard let keyID, case .signingKey(let key)? = files[keyID], let hash = key.internalAuthenticationHash else {
            return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied)
        }
        guard command.p1 == 0x00 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        // The challenge is 1 to 255 bytes (research §1.4); Le may be left out, the answer is the signature.
        guard (1...255).contains(command.data.count), !command.isExtended else {
            return ResponseAPDU(statusWord: .wrongLength)
        }
        guard key.useAccess.isSatisfied(by: securityState) else {
            return ResponseAPDU(statusWord: .securityStatusNotSatisfied)
        }
        guard let signature = try? key.key.signPKCS1v15(raw: DigestInfo.of(hash, message: command.data)) else {
            return ResponseAPDU(statusWord: .noPreciseDiagnosis)
        }
        return ResponseAPDU(data: signature, statusWord: .success)
    }
}
