// CardEmulator: the card OS of an emulated My Number card — file system, access rules, credentials with retry
// counters, sign-only keys, security state — the standard applications built from a card profile, and the free
// area (FreeArea/: regions, Type A/C/D card APs, install phases; docs/card-ap-profile.md).
// It takes command bytes and returns response bytes; it knows no reader and no transport.
import APDU
import CardCrypto

/// An emulated My Number card. Feed it command APDUs as bytes; it answers with response bytes, a status word for
/// any input (malformed, hostile or unknown), never a crash, never `61xx` or `6Cxx`.
///
/// Persistent state (credential values, retry counters) lives as long as the value; volatile state (current
/// application and EF, security state) is cleared by `reset()`, as a real card's is by a reset or power cycle.
public struct EmulatedCard: Sendable {
    public let profile: CardProfile
    public internal(set) var applications: [CardApplication]
    public internal(set) var currentApplication: Int?
    public internal(set) var currentFile: FileID?
    public internal(set) var securityState = SecurityState()
    /// The free area's regions and APs (docs/card-ap-profile.md); nil when the profile has none.
    public internal(set) var freeArea: FreeAreaCard?
    private var random: any RandomSource

    public init(profile: CardProfile, random: any RandomSource = SystemRandomSource()) {
        self.profile = profile
        self.applications = profile.applications
        self.random = random
        self.freeArea = profile.freeArea.map {
            FreeAreaCard(
                setting: $0, holder: profile.holder, faults: profile.chip.faults,
                reservedAIDs: self.applications.map(\.aid))
        }
    }

    /// The deliberate faults of a faulty profile; empty on every conforming card, so no branch below that tests
    /// one is reachable from a committed card.
    var faults: Set<CardFault> { profile.chip.faults }

    /// The JPKI AP is the current application: where the JPKI faults apply.
    var inJPKI: Bool { currentApplication.map { applications[$0].aid == JPKIApplication.aid } ?? false }

    /// The answer to reset this card presents.
    public var atr: [UInt8] { profile.atr }

    /// A reset (warm or cold): the card forgets what was selected and verified, and keeps what it stores.
    public mutating func reset() {
        currentApplication = nil
        currentFile = nil
        securityState = SecurityState()
        freeArea?.reset()
    }

    /// Processes one command APDU.
    public mutating func process(_ command: [UInt8]) -> [UInt8] {
        respond(to: command).bytes
    }

    public mutating func respond(to bytes: [UInt8]) -> ResponseAPDU {
        // The free area answers when its manager or one of its APs is selected, or a SELECT names one of them.
        if var area = freeArea {
            freeArea = nil  // keeps `area` uniquely referenced, so answering copies nothing
            let handled = area.respond(to: bytes, random: &random)
            freeArea = area
            if let handled {
                if handled.selected {
                    currentApplication = nil
                    currentFile = nil
                    securityState = SecurityState()
                }
                let answer = handled.answer
                return ResponseAPDU(
                    data: Array(answer.dropLast(2)),
                    statusWord: StatusWord(answer[answer.count - 2], answer[answer.count - 1]))
            }
        }
        guard let command = try? CommandAPDU(bytes: bytes) else { return ResponseAPDU(statusWord: .wrongLength) }
        if command.isExtended && !profile.behaviour.extendedLength {
            return ResponseAPDU(statusWord: .wrongLength)
        }
        switch command.cla {
        case 0x00, 0x80: break
        case 0x08, 0x0C, 0x88, 0x8C: return ResponseAPDU(statusWord: StatusWord(0x68, 0x82))  // no secure messaging
        case 0x01...0x03, 0x81...0x83: return ResponseAPDU(statusWord: StatusWord(0x68, 0x81))  // no logical channels
        case 0x10, 0x90: return ResponseAPDU(statusWord: StatusWord(0x68, 0x84))  // no command chaining
        default: return ResponseAPDU(statusWord: .classNotSupported)
        }
        let proprietary = command.cla == 0x80
        switch (proprietary, command.ins) {
        case (false, 0xA4): return select(command)
        case (false, 0xB0): return readBinary(command)
        case (false, 0xB2): return readRecord(command)
        case (false, 0x20): return verify(command)
        case (false, 0x24): return changeReferenceData(command)
        case (false, 0x84): return getChallenge(command)
        case (false, 0x88): return internalAuthenticate(command)
        case (false, 0xCA): return getData(command)
        case (true, 0x2A): return computeDigitalSignature(command)
        case (true, 0x32): return changeKey(command)
        default:
            // Not interchangeable: OpenSC's iso7816.c maps 6D 00 to "INS not supported", 6A 81 to "not supported".
            if faults.contains(.unknownInstructionAnswers6A81) {
                return ResponseAPDU(statusWord: StatusWord(0x6A, 0x81))
            }
            return ResponseAPDU(statusWord: .instructionNotSupported)
        }
    }

    // MARK: - Introspection for tests and the runner

    /// The credential stored under `fid` in the application named `application` (e.g. "JPKI").
    public func credential(_ fid: FileID, in application: String) -> Credential? {
        guard let app = applications.first(where: { $0.name == application }),
            case .credential(let credential)? = app.files[fid]
        else { return nil }
        return credential
    }

    // MARK: - SELECT

    private mutating func select(_ command: CommandAPDU) -> ResponseAPDU {
        // P2 0C: no response data (what every client sends); 00/04: return the file's control parameters.
        let returnsFCP: Bool
        switch command.p2 {
        case 0x0C: returnsFCP = faults.contains(.selectAnswersDataUnasked)
        case 0x00, 0x04: returnsFCP = true
        default: return ResponseAPDU(statusWord: .incorrectP1P2)
        }
        switch command.p1 {
        case 0x04:
            guard !command.data.isEmpty else { return ResponseAPDU(statusWord: .wrongLength) }
            guard let index = applications.firstIndex(where: { $0.aid == command.data }) else {
                return ResponseAPDU(statusWord: faults.contains(.foreignAIDSelected) ? .success : .fileNotFound)
            }
            // Selecting an application, even the current one, ends whatever was verified in it.
            let keepsState =
                faults.contains(.securityStateSurvivesReselect) && currentApplication == index
                && applications[index].aid == JPKIApplication.aid
            currentApplication = index
            currentFile = nil
            if !keepsState { securityState = SecurityState() }
            return ResponseAPDU(data: returnsFCP ? fcp(of: applications[index]) : [], statusWord: .success)
        case 0x02:
            guard let fid = FileID(bytes: command.data) else {
                return ResponseAPDU(statusWord: .lcInconsistentWithP1P2)
            }
            guard let app = currentApplication, let file = applications[app].files[fid] else {
                return ResponseAPDU(statusWord: .fileNotFound)
            }
            currentFile = fid
            return ResponseAPDU(data: returnsFCP ? fcp(of: file, fid: fid) : [], statusWord: .success)
        case 0x00:
            // MF: the real card refuses it right after reset and leaves an application current otherwise.
            if !command.data.isEmpty { return ResponseAPDU(statusWord: .fileNotFound) }
            return ResponseAPDU(statusWord: currentApplication == nil ? .incorrectP1P2 : .success)
        default:
            return ResponseAPDU(statusWord: .incorrectP1P2)
        }
    }

    /// File control parameters (ISO 7816-4 tag 62): size, descriptor and identifier — never the content.
    private func fcp(of file: ElementaryFile, fid: FileID) -> [UInt8] {
        var objects: [[UInt8]] = []
        switch file {
        case .transparent(let ef):
            objects.append(
                BERTLV(tag: BERTag(0x80), value: [UInt8(ef.content.count >> 8), UInt8(ef.content.count & 0xFF)]).encoded
            )
            objects.append(BERTLV(tag: BERTag(0x82), value: [0x01]).encoded)
        case .records(let ef):
            objects.append(
                BERTLV(tag: BERTag(0x82), value: [0x02, 0x41, 0x00, UInt8(min(ef.records.count, 255))]).encoded)
        case .signingKey, .credential:
            objects.append(BERTLV(tag: BERTag(0x82), value: [0x11]).encoded)  // internal EF
        }
        objects.append(
            BERTLV(tag: BERTag(0x83), value: [UInt8(fid.rawValue >> 8), UInt8(fid.rawValue & 0xFF)]).encoded)
        return BERTLV(tag: BERTag(0x62), value: objects.flatMap { $0 }).encoded
    }

    private func fcp(of application: CardApplication) -> [UInt8] {
        let value =
            BERTLV(tag: BERTag(0x82), value: [0x38]).encoded + BERTLV(tag: BERTag(0x84), value: application.aid).encoded
        return BERTLV(tag: BERTag(0x62), value: value).encoded
    }

    // MARK: - READ BINARY / READ RECORD

    private mutating func readBinary(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.data.isEmpty, let le = command.le else { return ResponseAPDU(statusWord: .wrongLength) }
        let offset: Int
        if command.p1 & 0x80 != 0 {
            // P1 = 100xxxxx: short EF identifier in the low five bits, 8-bit offset in P2.
            guard command.p1 & 0x60 == 0 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
            guard let app = currentApplication,
                let fid = applications[app].fileID(shortIdentifier: command.p1 & 0x1F)
            else { return ResponseAPDU(statusWord: .fileNotFound) }
            currentFile = fid
            offset = Int(command.p2)
        } else {
            offset = Int(command.p1) << 8 | Int(command.p2)
        }
        guard let app = currentApplication, let fid = currentFile, let file = applications[app].files[fid] else {
            return ResponseAPDU(statusWord: .commandNotAllowed)
        }
        if case .signingKey(let key) = file, faults.contains(.readableAuthKey),
            applications[app].aid == JPKIApplication.aid, fid == JPKIApplication.authenticationKey
        {
            // The fault readable_auth_key: the key EF reads like any transparent file.
            let der = key.key.derRepresentation
            guard offset < der.count else { return ResponseAPDU(statusWord: .wrongP1P2) }
            return ResponseAPDU(data: Array(der[offset..<min(der.count, offset + le)]), statusWord: .success)
        }
        guard case .transparent(let ef) = file else {
            return ResponseAPDU(statusWord: .commandIncompatibleWithFileStructure)
        }
        guard ef.readAccess.isSatisfied(by: securityState) else {
            return ResponseAPDU(statusWord: .securityStatusNotSatisfied)
        }
        // An offset at or past the end answers 6B00, so a client that loops until it has "enough" stops.
        guard offset < ef.content.count else { return ResponseAPDU(statusWord: .wrongP1P2) }
        if faults.contains(.readBinaryOverrun) && applications[app].aid == JPKIApplication.aid {
            // The fault read_binary_overrun: always Le bytes, zeros past the end of the file.
            let available = Array(ef.content[offset..<min(ef.content.count, offset + le)])
            return ResponseAPDU(
                data: available + [UInt8](repeating: 0, count: le - available.count), statusWord: .success)
        }
        let end = min(ef.content.count, offset + le)
        return ResponseAPDU(data: Array(ef.content[offset..<end]), statusWord: .success)
    }

    private mutating func readRecord(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.data.isEmpty, let le = command.le else { return ResponseAPDU(statusWord: .wrongLength) }
        // P2: SFI in bits 8–4 (0 = current EF), bits 3–1 = 100 (read record P1).
        guard command.p2 & 0x07 == 0x04, command.p1 != 0 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        guard let app = currentApplication else { return ResponseAPDU(statusWord: .commandNotAllowed) }
        let sfi = command.p2 >> 3
        if sfi != 0 {
            guard let fid = applications[app].fileID(shortIdentifier: sfi) else {
                return ResponseAPDU(statusWord: .fileNotFound)
            }
            currentFile = fid
        }
        guard let fid = currentFile, let file = applications[app].files[fid] else {
            return ResponseAPDU(statusWord: .commandNotAllowed)
        }
        guard case .records(let ef) = file else {
            return ResponseAPDU(statusWord: .commandIncompatibleWithFileStructure)
        }
        guard ef.readAccess.isSatisfied(by: securityState) else {
            return ResponseAPDU(statusWord: .securityStatusNotSatisfied)
        }
        let number = Int(command.p1)
        guard number <= ef.records.count else { return ResponseAPDU(statusWord: .recordNotFound) }
        return ResponseAPDU(data: Array(ef.records[number - 1].prefix(le)), statusWord: .success)
    }

    // MARK: - VERIFY / CHANGE REFERENCE DATA

    /// A command refused with a status word, from deep inside a handler.
    struct Refusal: Error {
        let statusWord: StatusWord
        init(_ statusWord: StatusWord) { self.statusWord = statusWord }
    }

    /// The credential a VERIFY-like command names: P2 `80` is the current EF, `80|SFI` names it directly.
    func credentialReference(p2: UInt8) throws(Refusal) -> FileID {
        guard p2 & 0x80 != 0, p2 & 0x60 == 0 else { throw Refusal(.incorrectP1P2) }
        guard let app = currentApplication else { throw Refusal(.referencedDataNotFound) }
        let sfi = p2 & 0x1F
        let fid: FileID?
        if sfi == 0 {
            guard let current = currentFile else { throw Refusal(.commandNotAllowed) }
            fid = current
        } else {
            fid = applications[app].fileID(shortIdentifier: sfi)
        }
        guard let fid, case .credential? = applications[app].files[fid] else {
            throw Refusal(.referencedDataNotFound)
        }
        return fid
    }

    mutating func withCredential(
        _ fid: FileID,
        _ body: (inout Credential) -> ResponseAPDU
    ) -> ResponseAPDU {
        guard let app = currentApplication, case .credential(var credential)? = applications[app].files[fid] else {
            return ResponseAPDU(statusWord: .referencedDataNotFound)
        }
        let response = body(&credential)
        applications[app].files[fid] = .credential(credential)
        return response
    }

    private mutating func verify(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.p1 == 0x00 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        guard command.le == nil else { return ResponseAPDU(statusWord: .wrongLength) }
        let fid: FileID
        do {
            fid = try credentialReference(p2: command.p2)
        } catch {
            return ResponseAPDU(statusWord: error.statusWord)
        }
        let behaviour = profile.behaviour
        let emptyVerifySpendsTry = faults.contains(.emptyVerifySpendsTry) && inJPKI
        var verified = securityState.verified
        let response = withCredential(fid) { credential in
            // An empty VERIFY asks how many tries are left and spends none (unless the card is faulty that way).
            if command.data.isEmpty {
                if emptyVerifySpendsTry { credential.counter.recordWrongTry() }
                if verified.contains(fid) && behaviour.emptyVerifyAfterSuccess == .success {
                    return ResponseAPDU(statusWord: .success)
                }
                return ResponseAPDU(statusWord: .verificationFailed(triesLeft: credential.counter.remaining))
            }
            guard !credential.counter.isBlocked else { return ResponseAPDU(statusWord: .referencedDataNotUsable) }
            if !credential.format.accepts(command.data) && behaviour.malformedPIN == .refused {
                return ResponseAPDU(statusWord: .wrongData)
            }
            if command.data == credential.value {
                credential.counter.recordSuccess()
                verified.insert(fid)
                return ResponseAPDU(statusWord: .success)
            }
            credential.counter.recordWrongTry()
            verified.remove(fid)
            return ResponseAPDU(statusWord: .verificationFailed(triesLeft: credential.counter.remaining))
        }
        securityState.verified = verified
        return response
    }

    private mutating func changeReferenceData(_ command: CommandAPDU) -> ResponseAPDU {
        // P1 01: the data is the new value alone, the old one having been verified just before (what the clients send).
        replaceCredentialValue(command, p1: 0x01, by: .changeReferenceData)
    }

    // MARK: - COMPUTE DIGITAL SIGNATURE / INTERNAL AUTHENTICATE / GET CHALLENGE

    private mutating func computeDigitalSignature(_ command: CommandAPDU) -> ResponseAPDU {
        // P1 00: pad the data exactly as given (a DigestInfo) with PKCS#1 v1.5 type 1 — what every client sends.
        guard command.p1 == 0x00 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        // P2 00: the application's own key (the 券面 APs'); 80: the current EF; 80|SFI: the key EF named.
        guard command.p2 == 0x00 || (command.p2 & 0x80 != 0 && command.p2 & 0x60 == 0) else {
            return ResponseAPDU(statusWord: .incorrectP1P2)
        }
        guard let app = currentApplication else { return ResponseAPDU(statusWord: .commandNotAllowed) }
        let keyID: FileID?
        if command.p2 == 0x00 {
            guard let defaultKey = applications[app].defaultKey else { return ResponseAPDU(statusWord: .incorrectP1P2) }
            keyID = defaultKey
        } else {
            let sfi = command.p2 & 0x1F
            keyID = sfi == 0 ? currentFile : applications[app].fileID(shortIdentifier: sfi)
        }
        guard let keyID else { return ResponseAPDU(statusWord: .commandNotAllowed) }
        guard case .signingKey(let key)? = applications[app].files[keyID] else {
            return ResponseAPDU(statusWord: .referencedDataNotFound)
        }
        guard key.signsData else { return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied) }
        guard key.useAccess.isSatisfied(by: securityState) else {
            return ResponseAPDU(statusWord: .securityStatusNotSatisfied)
        }
        guard !command.data.isEmpty, command.data.count <= key.key.modulusBitCount / 8 - 11 else {
            return ResponseAPDU(statusWord: .wrongLength)
        }
        if faults.contains(.authSignaturePaddingType2), applications[app].aid == JPKIApplication.aid,
            keyID == JPKIApplication.authenticationKey
        {
            // The fault auth_signature_padding_type_2: 00 02 FF…FF 00 || data, the encryption block type.
            let size = key.key.modulusBitCount / 8
            let block = [0x00, 0x02] + [UInt8](repeating: 0xFF, count: size - 3 - command.data.count) + [0x00]
            guard let signature = try? key.key.privateOperation(block + command.data) else {
                return ResponseAPDU(statusWord: .noPreciseDiagnosis)
            }
            return ResponseAPDU(data: signature, statusWord: .success)
        }
        guard let signature = try? key.key.signPKCS1v15(raw: command.data) else {
            return ResponseAPDU(statusWord: .noPreciseDiagnosis)
        }
        return ResponseAPDU(data: signature, statusWord: .success)
    }

    private mutating func getChallenge(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.p1 == 0, command.p2 == 0 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        guard command.data.isEmpty, let le = command.le, le <= 256 else {
            return ResponseAPDU(statusWord: .wrongLength)
        }
        return ResponseAPDU(data: random.bytes(le), statusWord: .success)
    }
}
