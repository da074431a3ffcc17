import APDU
import CardCrypto

/// Type A, C and D card APs once active (docs/card-ap-profile.md, "The applications"): C answers READ BINARY to
/// anyone; A wants mutual authentication (and its password) before records; D reads only in secure messaging.
extension FreeAreaCard {
    mutating func respondAsApplication(_ aid: [UInt8], _ bytes: [UInt8], random: inout any RandomSource) -> [UInt8] {
        guard let located = applications.first(where: { $0.application.aid == aid }) else {
            // Deleted while selected (it cannot be: deleting needs the manager selected); answer as for no AP.
            selection = nil
            return Self.status(.fileNotFound)
        }
        let ap = located.application
        guard let command = try? CommandAPDU(bytes: bytes) else {
            if let first = bytes.first, first & 0x0C == 0x0C { application.session = nil }
            return Self.status(.wrongLength)
        }
        // The APs have no files to select by FID or path: only SELECT by AID (handled before) reaches them.
        if command.cla == 0x00, command.ins == 0xA4 { return Self.status(.fileNotFound) }
        switch ap.package.kind {
        case .typeC: return typeC(ap, command)
        case .typeA: return typeA(ap, command, region: located.region, random: &random)
        case .typeD: return typeD(ap, command, bytes, region: located.region, random: &random)
        }
    }

    // MARK: - Type C

    private func typeC(_ ap: InstalledCardAP, _ command: CommandAPDU) -> [UInt8] {
        guard command.cla == 0x00 else { return Self.status(.classNotSupported) }
        switch command.ins {
        case 0xB0: return Self.readBinary(ap.content, command).bytes
        case 0xD0, 0xD6, 0xD7, 0xDC, 0xDD, 0xE2, 0x0E: return Self.status(.securityStatusNotSatisfied)
        default: return Self.status(.instructionNotSupported)
        }
    }

    static func readBinary(_ content: [UInt8], _ command: CommandAPDU) -> ResponseAPDU {
        guard command.data.isEmpty, let le = command.le else { return ResponseAPDU(statusWord: .wrongLength) }
        guard command.p1 & 0x80 == 0 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        let offset = Int(command.p1) << 8 | Int(command.p2)
        guard offset < content.count else { return ResponseAPDU(statusWord: .wrongP1P2) }
        return ResponseAPDU(data: Array(content[offset..<min(content.count, offset + le)]), statusWord: .success)
    }

    // MARK: - Shared by A and D

    /// GET CHALLENGE and MUTUAL AUTHENTICATE (`00 82 00 80`) with the AP's key; nil for any other command.
    private mutating func authenticate(
        _ ap: InstalledCardAP, _ command: CommandAPDU, random: inout any RandomSource
    ) -> [UInt8]? {
        guard command.cla == 0x00 else { return nil }
        switch command.ins {
        case 0x84:
            switch Self.challenge(command, random: &random) {
            case .success(let challenge):
                application.challenge = challenge
                return challenge + StatusWord.success.bytes
            case .failure(let refusal): return Self.status(refusal.statusWord)
            }
        case 0x82:
            guard command.p1 == 0, command.p2 == 0x80 else { return Self.status(.incorrectP1P2) }
            guard command.data.count == MutualAuthentication.messageLength,
                command.le == nil || command.le == MutualAuthentication.messageLength
            else { return Self.status(.wrongLength) }
            guard let challenge = application.challenge else { return Self.status(.conditionsOfUseNotSatisfied) }
            application = ApplicationState()
            guard let keys = ap.package.accessKeys else { return Self.status(.conditionsOfUseNotSatisfied) }
            do {
                let authentication = try CardMutualAuthentication(keys: keys, challenge: challenge)
                var material = random.bytes(MutualAuthentication.keyMaterialLength)
                if faults.contains(.reusedSessionKey), ap.package.kind == .typeD {
                    material = try Self.reusedKeyMaterial(command.data, keys: keys, seed: ap.package.keySeed ?? [])
                }
                let result = try authentication.respond(to: command.data, cardKeyMaterial: material)
                application.authenticated = true
                application.session = result.session
                return result.responseData + StatusWord.success.bytes
            } catch {
                return Self.status(.authenticationFailed)
            }
        default:
            return nil
        }
    }

    /// The `reused_session_key` fault: K.IC chosen as K.IFD ⊕ a constant of the AP, so K.IFD ⊕ K.IC — the seed of
    /// the session keys — is the same in every session.
    private static func reusedKeyMaterial(_ data: [UInt8], keys: SecureMessagingKeys, seed: [UInt8]) throws
        -> [UInt8]
    {
        let cryptogram = Array(data.prefix(MutualAuthentication.cryptogramLength))
        let key =
            keys.suite == .aes128
            ? try BlockCipherKey(aes: keys.encryption) : try BlockCipherKey(tripleDES: keys.encryption)
        let plaintext = try BlockCipher.decrypt(
            cryptogram, key: key, mode: .cbc(iv: [UInt8](repeating: 0, count: keys.suite.blockSize)))
        let hostMaterial = Array(plaintext[16..<32])
        let constant = Array(HashAlgorithm.sha256.hash(seed).prefix(MutualAuthentication.keyMaterialLength))
        return zip(hostMaterial, constant).map { $0 ^ $1 }
    }

    /// VERIFY of the AP's password (P2 `81`), the command already opened (D) or plain (A).
    private mutating func verifyPassword(_ command: CommandAPDU, region: FreeAreaRegion, aid: [UInt8]) -> ResponseAPDU {
        guard command.p1 == 0, command.p2 == 0x81 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        guard command.le == nil else { return ResponseAPDU(statusWord: .wrongLength) }
        guard application.authenticated else { return ResponseAPDU(statusWord: .securityStatusNotSatisfied) }
        guard let index = regions[region]?.index(of: aid),
            var counter = regions[region]!.applications[index]
                .passwordCounter, let password = regions[region]!.applications[index].package.password
        else { return ResponseAPDU(statusWord: .referencedDataNotFound) }
        if command.data.isEmpty {
            if application.passwordVerified { return ResponseAPDU(statusWord: .success) }
            return ResponseAPDU(
                statusWord: counter.isBlocked
                    ? .authenticationMethodBlocked
                    : .verificationFailed(triesLeft: counter.remaining))
        }
        guard !counter.isBlocked else { return ResponseAPDU(statusWord: .authenticationMethodBlocked) }
        let response: ResponseAPDU
        if command.data == password {
            counter.recordSuccess()
            application.passwordVerified = true
            response = ResponseAPDU(statusWord: .success)
        } else {
            counter.recordWrongTry()
            application.passwordVerified = false
            response = ResponseAPDU(statusWord: .verificationFailed(triesLeft: counter.remaining))
        }
        regions[region]!.applications[index].passwordCounter = counter
        return response
    }

    private func mayAccess(_ ap: InstalledCardAP) -> Bool {
        application.authenticated && (ap.package.password == nil || application.passwordVerified)
    }

    // MARK: - Type A

    private mutating func typeA(
        _ ap: InstalledCardAP, _ command: CommandAPDU, region: FreeAreaRegion, random: inout any RandomSource
    ) -> [UInt8] {
        if let answer = authenticate(ap, command, random: &random) { return answer }
        guard command.cla == 0x00 else { return Self.status(.classNotSupported) }
        switch command.ins {
        case 0x20: return verifyPassword(command, region: region, aid: ap.aid).bytes
        case 0xB2:
            guard command.data.isEmpty, let le = command.le else { return Self.status(.wrongLength) }
            guard command.p2 == 0x04, command.p1 != 0 else { return Self.status(.incorrectP1P2) }
            guard mayAccess(ap) else { return Self.status(.securityStatusNotSatisfied) }
            let number = Int(command.p1)
            guard number <= ap.records.count else { return Self.status(.recordNotFound) }
            return Array(ap.records[number - 1].prefix(le)) + StatusWord.success.bytes
        case 0xDC:
            guard command.le == nil else { return Self.status(.wrongLength) }
            guard command.p2 == 0x04, command.p1 != 0 else { return Self.status(.incorrectP1P2) }
            guard mayAccess(ap) else { return Self.status(.securityStatusNotSatisfied) }
            let number = Int(command.p1)
            guard number <= ap.records.count else { return Self.status(.recordNotFound) }
            guard number >= 3 else { return Self.status(.securityStatusNotSatisfied) }
            let total = ap.records.enumerated().reduce(0) { sum, item in
                sum + (item.offset == number - 1 ? command.data.count : item.element.count)
            }
            guard total <= ap.size else { return Self.status(.notEnoughMemory) }
            guard let index = regions[region]?.index(of: ap.aid) else { return Self.status(.fileNotFound) }
            regions[region]!.applications[index].records[number - 1] = command.data
            return Self.status(.success)
        case 0xB0, 0xD6: return Self.status(.commandIncompatibleWithFileStructure)
        default: return Self.status(.instructionNotSupported)
        }
    }

    // MARK: - Type D

    private mutating func typeD(
        _ ap: InstalledCardAP, _ command: CommandAPDU, _ bytes: [UInt8], region: FreeAreaRegion,
        random: inout any RandomSource
    ) -> [UInt8] {
        if let answer = authenticate(ap, command, random: &random) { return answer }
        switch command.cla {
        case 0x00:
            switch command.ins {
            case 0xB0:
                // Encryption is required on every read (seed 002): a plain READ BINARY is refused, whatever came before.
                guard faults.contains(.typeDPlainReads) else { return Self.status(.securityStatusNotSatisfied) }
                return Self.readBinary(ap.content, command).bytes
            case 0x20, 0xD6: return Self.status(.securityStatusNotSatisfied)
            default: return Self.status(.instructionNotSupported)
            }
        case 0x0C:
            let opened: CommandAPDU
            switch Self.open(bytes, session: &application.session) {
            case .success(let command): opened = command
            case .failure(let refusal): return Self.status(refusal.statusWord)
            }
            let response: ResponseAPDU
            switch opened.ins {
            case 0x20: response = verifyPassword(opened, region: region, aid: ap.aid)
            case 0xB0:
                response =
                    mayAccess(ap)
                    ? Self.readBinary(ap.content, opened) : ResponseAPDU(statusWord: .securityStatusNotSatisfied)
            default: response = ResponseAPDU(statusWord: .instructionNotSupported)
            }
            return Self.seal(response, session: &application.session)
        default:
            return Self.status(.classNotSupported)
        }
    }
}
