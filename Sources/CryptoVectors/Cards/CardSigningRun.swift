import APDU
import CardCrypto
import CardEmulator
import Transport

/// Why a card run could not go on: the card, the reader or the set-up, not a vector. `mynaconf vectors` exits 3.
public struct CardRunError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { self.message }
}

/// Signs messages through the JPKI AP's COMPUTE DIGITAL SIGNATURE with the user-authentication key, on any channel:
/// the emulator in process, or a real card behind a reader. The PIN is sent and never printed.
struct JPKISigningCard {
    let channel: any CardChannel
    let pin: String

    private func send(_ command: CommandAPDU, _ what: String) async throws(CardRunError) -> ResponseAPDU {
        do {
            return try await self.channel.transmit(command)
        } catch {
            throw CardRunError(message: "\(self.channel.readerName): \(what) failed: \(error)")
        }
    }

    private func expectSuccess(_ command: CommandAPDU, _ what: String) async throws(CardRunError) {
        let response = try await self.send(command, what)
        guard response.statusWord.isSuccess else {
            throw CardRunError(message: "\(self.channel.readerName): \(what) answered \(response.statusWord)")
        }
    }

    private func selectEF(_ fid: FileID, _ what: String) async throws(CardRunError) {
        let bytes = [UInt8(fid.rawValue >> 8), UInt8(fid.rawValue & 0xFF)]
        try await self.expectSuccess(CommandAPDU(cla: 0, ins: 0xA4, p1: 0x02, p2: 0x0C, data: bytes), "SELECT \(what)")
    }

    func selectApplication() async throws(CardRunError) {
        try await self.expectSuccess(
            CommandAPDU(cla: 0, ins: 0xA4, p1: 0x04, p2: 0x0C, data: JPKIApplication.aid), "SELECT the JPKI AP")
    }

    /// Selects the JPKI AP, verifies the auth PIN (refusing to spend a try when only one is left) and selects the
    /// auth key, ready for COMPUTE DIGITAL SIGNATURE.
    func prepare() async throws(CardRunError) {
        try await self.selectApplication()
        try await self.selectEF(JPKIApplication.authenticationPIN, "EF 0018 (auth PIN)")
        let tries = try await self.send(CommandAPDU(cla: 0, ins: 0x20, p1: 0, p2: 0x80), "VERIFY (tries left)")
        guard let left = tries.statusWord.triesLeft else {
            throw CardRunError(
                message: "\(self.channel.readerName): the auth PIN's counter answered \(tries.statusWord)")
        }
        guard left >= 2 else {
            throw CardRunError(
                message: "\(self.channel.readerName): the auth PIN has \(left) tr\(left == 1 ? "y" : "ies") left; "
                    + "mynaconf does not risk the last one — reset the counter first")
        }
        let verify = try await self.send(
            CommandAPDU(cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: Array(self.pin.utf8)), "VERIFY (auth PIN)")
        guard verify.statusWord.isSuccess else {
            throw CardRunError(
                message: "\(self.channel.readerName): the auth PIN was refused (\(verify.statusWord)); check the PIN "
                    + "given to mynaconf")
        }
        try await self.selectEF(JPKIApplication.authenticationKey, "EF 0017 (auth key)")
    }

    /// `80 2A 00 80 Lc <DigestInfo> 00`: the signature in the data of a `90 00` response.
    func sign(_ digestInfo: [UInt8]) async throws(CardRunError) -> ResponseAPDU {
        try await self.send(
            CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80, data: digestInfo, le: 256),
            "COMPUTE DIGITAL SIGNATURE")
    }

    /// EF 000A, the user-authentication certificate, read in whole (its DER length says how far).
    func authenticationCertificate() async throws(CardRunError) -> [UInt8] {
        try await self.selectApplication()
        try await self.selectEF(JPKIApplication.authenticationCertificate, "EF 000A (auth certificate)")
        let head = try await self.send(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 4), "READ BINARY")
        guard head.statusWord.isSuccess, head.data.count == 4, head.data[0] == 0x30 else {
            throw CardRunError(message: "\(self.channel.readerName): EF 000A does not start with a DER certificate")
        }
        let total: Int
        switch head.data[1] {
        case 0x82: total = 4 + (Int(head.data[2]) << 8 | Int(head.data[3]))
        case 0x81: total = 3 + Int(head.data[2])
        default: total = 2 + Int(head.data[1] & 0x7F)
        }
        var certificate: [UInt8] = []
        while certificate.count < total {
            let offset = certificate.count
            let chunk = try await self.send(
                CommandAPDU(
                    cla: 0, ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF),
                    le: min(256, total - offset)),
                "READ BINARY at \(offset)")
            guard chunk.statusWord.isSuccess, !chunk.data.isEmpty else {
                throw CardRunError(
                    message:
                        "\(self.channel.readerName): READ BINARY at \(offset) of EF 000A answered \(chunk.statusWord)")
            }
            certificate += chunk.data
        }
        return Array(certificate.prefix(total))
    }
}

/// The card-command runs of `mynaconf vectors --emulator` (and, with a PC/SC channel, `--reader`).
public enum CardSigningRun {
    /// The auth PIN of the cards this run makes.
    static let emulatorPIN = "1234"

    /// An emulated card whose user-authentication key is `key`, with a certificate for it issued by a test CA that
    /// signs with the same key (the run reads the certificate back, as it would from a real card).
    public static func emulatedCard(key: RSAPrivateKey, name: String) throws -> EmulatedCard {
        let start = CalendarDate(year: 2014, month: 1, day: 1)!
        let end = CalendarDate(year: 2045, month: 12, day: 31)!
        let authCA = try JPKITestCA(kind: .authentication, key: key, notBefore: start, notAfter: end)
        let signCA = try JPKITestCA(kind: .signing, key: key, notBefore: start, notAfter: end)
        let certificate = try authCA.issueAuthenticationCertificate(
            subjectSerial: "MYNACONFVECTORS", publicKey: key.publicKey, serialNumber: [0x01], notBefore: start,
            notAfter: end)
        let profile = CardProfile(
            name: name, summary: "a card made for signature vectors", asOf: CalendarDate(year: 2026, month: 1, day: 1)!,
            holder: CardHolder(
                myNumber: "123456789018", name: "VECTORS", address: "-",
                birthDate: CalendarDate(year: 1980, month: 1, day: 1)!, sex: "9"),
            pins: ["auth": PINSetting(value: emulatorPIN)],
            jpki: JPKIContent(
                tokenSerial: "VECTORS", authenticationCertificate: certificate, authenticationCA: authCA.certificateDER,
                authenticationKey: key, signingCertificate: nil, signingCA: signCA.certificateDER, signingKey: nil))
        return EmulatedCard(profile: profile, random: SeededRandomSource(seed: 1))
    }

    /// `--emulator`: every signature-generation group on a card made from its private key, every message signed
    /// through `80 2A 00 80` and compared byte for byte; every valid message of a verification file signed on a card
    /// with a fresh key and checked, strictly, with the certificate read from that card.
    public static func runOnEmulator(_ files: [VectorFile]) async throws(CardRunError) -> [FileResult] {
        var results: [FileResult] = []
        var verificationCard: (any CardChannel)? = nil
        for file in files {
            var groups: [Int: (key: RSAPrivateKey, cases: [VectorCase])] = [:]
            var order: [Int] = []
            var verification: [VectorCase] = []
            for vectorCase in file.cases {
                switch vectorCase.check {
                case .signatureGeneration(let key, let group, _, _, _):
                    if groups[group] == nil { order.append(group) }
                    groups[group, default: (key, [])].cases.append(vectorCase)
                case .signatureVerification:
                    if vectorCase.expectation == .valid { verification.append(vectorCase) }
                default: break
                }
            }
            var caseResults: [CaseResult] = []
            for group in order {
                let channel: EmulatedChannel
                do {
                    channel = EmulatedChannel(
                        card: try emulatedCard(key: groups[group]!.key, name: "\(file.path) group \(group + 1)"),
                        readerName: "emulated card for group \(group + 1)")
                } catch {
                    throw CardRunError(message: "cannot make a card for group \(group + 1) of \(file.path): \(error)")
                }
                caseResults += try await self.signAndCompare(groups[group]!.cases, on: channel, pin: emulatorPIN)
            }
            if !verification.isEmpty {
                if verificationCard == nil {
                    do {
                        let key = try RSAPrivateKey.generate(bits: 2048)
                        verificationCard = EmulatedChannel(
                            card: try emulatedCard(key: key, name: "verification"), readerName: "emulated card")
                    } catch {
                        throw CardRunError(message: "cannot make a card for the verification vectors: \(error)")
                    }
                }
                caseResults += try await self.signAndVerify(verification, on: verificationCard!, pin: emulatorPIN)
            }
            if !caseResults.isEmpty {
                results.append(FileResult(path: file.path, label: " (on the emulated card)", results: caseResults))
            }
        }
        return results
    }

    /// A real card (or any channel): every valid message of the verification files signed with the card's auth key
    /// and checked with a strict verifier and the certificate read from the card. Generation vectors carry their own
    /// private keys, which a real card does not hold; they are not run here.
    public static func runOnCard(_ files: [VectorFile], channel: any CardChannel, pin: String)
        async throws(CardRunError) -> [FileResult]
    {
        var results: [FileResult] = []
        for file in files {
            let verification = file.cases.filter {
                if case .signatureVerification = $0.check { $0.expectation == .valid } else { false }
            }
            guard !verification.isEmpty else { continue }
            results.append(
                FileResult(
                    path: file.path, label: " (on \(channel.readerName))",
                    results: try await self.signAndVerify(verification, on: channel, pin: pin)))
        }
        return results
    }

    static func signAndCompare(_ cases: [VectorCase], on channel: any CardChannel, pin: String)
        async throws(CardRunError) -> [CaseResult]
    {
        let card = JPKISigningCard(channel: channel, pin: pin)
        try await card.prepare()
        var results: [CaseResult] = []
        for vectorCase in cases {
            guard case .signatureGeneration(_, _, let hash, let message, let expected) = vectorCase.check else {
                continue
            }
            let response = try await card.sign(DigestInfo.of(hash, message: message))
            let verdict: CheckVerdict =
                !response.statusWord.isSuccess
                ? .rejected("COMPUTE DIGITAL SIGNATURE answered \(response.statusWord)")
                : response.data == expected
                    ? .accepted : .rejected(differs("the card signs", response.data, expected))
            results.append(CaseResult(vectorCase: vectorCase, outcome: .judge(vectorCase.expectation, verdict)))
        }
        return results
    }

    static func signAndVerify(_ cases: [VectorCase], on channel: any CardChannel, pin: String)
        async throws(CardRunError) -> [CaseResult]
    {
        let card = JPKISigningCard(channel: channel, pin: pin)
        let publicKey: RSAPublicKey
        do {
            publicKey = try CertificateSummary(derEncoded: try await card.authenticationCertificate()).publicKey
        } catch let error as CardRunError {
            throw error
        } catch {
            throw CardRunError(
                message: "\(channel.readerName): EF 000A is not a certificate mynaconf can read: \(error)")
        }
        try await card.prepare()
        var results: [CaseResult] = []
        for vectorCase in cases {
            guard case .signatureVerification(_, let hash, let message, _) = vectorCase.check else { continue }
            let response = try await card.sign(DigestInfo.of(hash, message: message))
            let verdict: CheckVerdict =
                !response.statusWord.isSuccess
                ? .rejected("COMPUTE DIGITAL SIGNATURE answered \(response.statusWord)")
                : publicKey.isValidPKCS1v15(signature: response.data, message: message, hash: hash)
                    ? .accepted : .rejected("the card's signature does not verify with the certificate in EF 000A")
            results.append(CaseResult(vectorCase: vectorCase, outcome: .judge(.valid, verdict)))
        }
        return results
    }
}

extension VectorFile {
    /// Whether `CardSigningRun.runOnCard` has anything to sign in this file: valid signature-verification cases.
    public var hasValidSignatureVerificationCases: Bool {
        cases.contains {
            if case .signatureVerification = $0.check { $0.expectation == .valid } else { false }
        }
    }
}
