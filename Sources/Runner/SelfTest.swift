import APDU
import CardCrypto
import Transport

/// What a self-test needs to know about the card it checks: the credentials and the date to judge validity on.
public struct SelfTestCard: Sendable {
    public var authPIN: String
    public var signPassword: String?
    public var asOf: CalendarDate

    public init(authPIN: String, signPassword: String?, asOf: CalendarDate) {
        self.authPIN = authPIN
        self.signPassword = signPassword
        self.asOf = asOf
    }
}

/// The outcome of one check: what was checked, against which requirement, and what was seen when it failed.
public struct CheckResult: Sendable, Hashable {
    public var id: String
    public var title: String
    public var passed: Bool
    public var detail: String

    public init(id: String, title: String, passed: Bool, detail: String = "") {
        self.id = id
        self.title = title
        self.passed = passed
        self.detail = detail
    }
}

/// A fixed battery of JPKI checks at the byte level, run on any channel (the emulator today; the scenario suite
/// replaces it as the main job). It spends PIN tries: run it on an emulated card, never on a person's card.
public struct JPKISelfTest: Sendable {
    let channel: any CardChannel
    let card: SelfTestCard

    public init(channel: any CardChannel, card: SelfTestCard) {
        self.channel = channel
        self.card = card
    }

    /// AIDs OpenSC 0.23 probes before its jpki driver (jpki-protocol.md §8.2); each must answer 6A82.
    static let foreignAIDs: [String] = [
        "627601FF000000", "A00000000101", "E82B0601040181C31F0201", "D23300000045737445494420763335",
        "A000000308000010000100", "A00000000116DB00", "A0000000791000", "F276A288BCFBA69D34F31001",
        "A0000003974254465900", "D27600012401",
    ]

    public func run() async -> [CheckResult] {
        var results: [CheckResult] = []
        func record(_ id: String, _ title: String, _ body: () async throws -> String?) async {
            do {
                let failure = try await body()
                results.append(CheckResult(id: id, title: title, passed: failure == nil, detail: failure ?? ""))
            } catch {
                results.append(CheckResult(id: id, title: title, passed: false, detail: "\(error)"))
            }
        }
        let aid = "D392F000260100000001"

        await record("JPKI-CARD-01", "the card presents the contact ATR 3B E0 00 FF 81 31 FE 45 14") {
            let atr = try await channel.reset()
            return atr == [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]
                ? nil : "ATR was \(Hex.encode(atr, separator: " "))"
        }
        await record("JPKI-CARD-02", "every AID OpenSC probes before the jpki driver answers 6A82") {
            for foreign in Self.foreignAIDs {
                let aidBytes = try Hex.decode(foreign)
                let sw = try await send(CommandAPDU(cla: 0, ins: 0xA4, p1: 0x04, p2: 0x0C, data: aidBytes)).statusWord
                if sw != .fileNotFound { return "SELECT \(foreign) answered \(sw)" }
            }
            return nil
        }
        await record("JPKI-AP-01", "SELECT of the JPKI AP by AID with P2 0C answers 9000") {
            try await expect(select(aid: aid), .success)
        }
        await record("JPKI-AP-02", "EF 0006 holds the token label JPKIAPICCTOKEN2 padded to 32 bytes, 160 bytes in all")
        {
            try await expectSW(selectEF(0x0006), .success)
            let label = try await send(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 0x20))
            let expected = Array("JPKIAPICCTOKEN2".utf8) + [UInt8](repeating: 0x20, count: 17)
            guard label.data == expected else { return "label read \(Hex.encode(label.data, separator: " "))" }
            let whole = try await readToEnd()
            return whole.count == 160 ? nil : "EF 0006 is \(whole.count) bytes"
        }
        var authCertificate: [UInt8] = []
        var authCA: [UInt8] = []
        await record(
            "JPKI-CERT-01", "the user-authentication certificate reads in OpenSC's chunk pattern and chains to EF 000B"
        ) {
            try await expectSW(selectEF(0x000B), .success)
            authCA = try await readToEnd()
            try await expectSW(selectEF(0x000A), .success)
            authCertificate = try await readLikeOpenSC()
            let certificate = try CertificateSummary(derEncoded: authCertificate)
            let ca = try CertificateSummary(derEncoded: authCA)
            guard certificate.isSigned(by: ca.publicKey) else { return "EF 000A is not signed by the key in EF 000B" }
            guard certificate.notBefore <= card.asOf, card.asOf <= certificate.notAfter else {
                return "not valid on \(card.asOf): \(certificate.notBefore) – \(certificate.notAfter)"
            }
            return nil
        }
        await record("JPKI-CERT-02", "the signing certificate EF 0001 is refused with 6982 before the signing password")
        {
            // A card without a signing certificate (holder under 15) has no EF 0001 at all.
            guard card.signPassword != nil else { return try await expect(selectEF(0x0001), .fileNotFound) }
            try await expectSW(selectEF(0x0001), .success)
            return try await expect(
                send(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 4)), .securityStatusNotSatisfied)
        }
        await record(
            "JPKI-PIN-01", "an empty VERIFY reports 3 tries (auth PIN) and 5 (signing password) without spending one"
        ) {
            for (fid, tries) in [(UInt16(0x0018), 3), (0x0018, 3), (0x001B, 5)]
            where fid == 0x0018 || card.signPassword != nil {
                try await expectSW(selectEF(fid), .success)
                let sw = try await send(CommandAPDU(cla: 0, ins: 0x20, p1: 0, p2: 0x80)).statusWord
                if sw != .verificationFailed(triesLeft: tries) { return "EF \(fid): \(sw), expected 63C\(tries)" }
            }
            return nil
        }
        await record("JPKI-SIGN-01", "COMPUTE DIGITAL SIGNATURE with the auth key is refused with 6982 before the PIN")
        {
            try await expectSW(selectEF(0x0017), .success)
            return try await expect(
                send(sign(DigestInfo.of(.sha256, message: Array("mynaconf".utf8)))), .securityStatusNotSatisfied)
        }
        await record("JPKI-KEY-01", "no read command returns anything from the key EFs 0017 and 001A") {
            for fid: UInt16 in [0x0017, 0x001A] {
                _ = try await selectEF(fid)
                for read in [
                    CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 256),
                    CommandAPDU(cla: 0, ins: 0xB0, p1: 0x80 | UInt8(fid), p2: 0, le: 256),
                    CommandAPDU(cla: 0, ins: 0xB2, p1: 1, p2: 0x04, le: 256),
                    CommandAPDU(cla: 0, ins: 0xCA, p1: 0, p2: 0, le: 256),
                ] {
                    let response = try await send(read)
                    if response.statusWord.isSuccess || !response.data.isEmpty {
                        return "\(read) answered \(response)"
                    }
                }
            }
            return nil
        }
        await record(
            "JPKI-SIGN-02", "after the auth PIN, the auth key signs a SHA-256 DigestInfo that verifies with EF 000A"
        ) {
            try await expectSW(selectEF(0x0018), .success)
            try await expectSW(
                send(CommandAPDU(cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: Array(card.authPIN.utf8))).statusWord,
                .success)
            try await expectSW(selectEF(0x0017), .success)
            let message = Array("mynaconf self-test".utf8)
            let response = try await send(sign(DigestInfo.of(.sha256, message: message)))
            guard response.statusWord.isSuccess, response.data.count == 256 else {
                return "answered \(response.statusWord) with \(response.data.count) bytes"
            }
            let key = try CertificateSummary(derEncoded: authCertificate).publicKey
            return key.isValidPKCS1v15(signature: response.data, message: message, hash: .sha256)
                ? nil : "the signature does not verify"
        }
        if let password = card.signPassword {
            await record(
                "JPKI-SIGN-03",
                "after the signing password, EF 0001 reads and the signing key's signature verifies with it"
            ) {
                try await expectSW(selectEF(0x001B), .success)
                try await expectSW(
                    send(CommandAPDU(cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: Array(password.utf8))).statusWord,
                    .success)
                try await expectSW(selectEF(0x0001), .success)
                let certificate = try await CertificateSummary(derEncoded: readLikeOpenSC())
                try await expectSW(selectEF(0x001A), .success)
                let message = Array("mynaconf self-test".utf8)
                let response = try await send(sign(DigestInfo.of(.sha1, message: message)))
                guard response.statusWord.isSuccess else { return "signing answered \(response.statusWord)" }
                return certificate.publicKey.isValidPKCS1v15(signature: response.data, message: message, hash: .sha1)
                    ? nil : "the signature does not verify"
            }
        }
        await record("JPKI-AP-03", "re-selecting the JPKI AP ends the verified state (sign answers 6982 again)") {
            try await expectSW(select(aid: aid).statusWord, .success)
            try await expectSW(selectEF(0x0017), .success)
            return try await expect(send(sign(DigestInfo.of(.sha256, message: [1]))), .securityStatusNotSatisfied)
        }
        await record("JPKI-READ-01", "READ BINARY at an offset equal to the file size answers 6B00") {
            try await expectSW(selectEF(0x0008), .success)
            return try await expect(send(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 3, le: 1)), .wrongP1P2)
        }
        await record("JPKI-APDU-01", "malformed and unknown commands get a status word: 6700, 6D00, 6E00") {
            let answers = [
                try await channel.transmit([0x00, 0xA4, 0x04]),
                try await channel.transmit([0x00, 0xB0, 0x00, 0x00, 0x05, 0x01]),
                try await channel.transmit([0x00, 0xEE, 0x00, 0x00]),
                try await channel.transmit([0xC0, 0xA4, 0x04, 0x0C]),
            ]
            let expected: [[UInt8]] = [[0x67, 0x00], [0x67, 0x00], [0x6D, 0x00], [0x6E, 0x00]]
            return answers == expected ? nil : "answered \(answers.map { Hex.encode($0) })"
        }
        await record(
            "JPKI-PIN-02", "three wrong auth PINs answer 63C2, 63C1, 63C0; then even the right PIN answers 6984"
        ) {
            _ = try await select(aid: aid)
            try await expectSW(selectEF(0x0018), .success)
            var seen: [StatusWord] = []
            for pin in ["0000", "0000", "0000", card.authPIN] {
                seen.append(
                    try await send(CommandAPDU(cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: Array(pin.utf8))).statusWord)
            }
            let expected: [StatusWord] = [
                .verificationFailed(triesLeft: 2), .verificationFailed(triesLeft: 1), .verificationFailed(triesLeft: 0),
                .referencedDataNotUsable,
            ]
            return seen == expected ? nil : "answered \(seen.map(\.description).joined(separator: ", "))"
        }
        return results
    }

    // MARK: - Helpers

    private struct UnexpectedStatus: Error, CustomStringConvertible {
        var description: String
    }

    private func send(_ command: CommandAPDU) async throws -> ResponseAPDU {
        try await channel.transmit(command)
    }

    private func select(aid: String) async throws -> ResponseAPDU {
        try await send(CommandAPDU(cla: 0, ins: 0xA4, p1: 0x04, p2: 0x0C, data: Hex.decode(aid)))
    }

    private func selectEF(_ fid: UInt16) async throws -> StatusWord {
        try await send(CommandAPDU(cla: 0, ins: 0xA4, p1: 0x02, p2: 0x0C, data: [UInt8(fid >> 8), UInt8(fid & 0xFF)]))
            .statusWord
    }

    private func sign(_ digestInfo: [UInt8]) -> CommandAPDU {
        CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80, data: digestInfo, le: 256)
    }

    private func expect(_ response: ResponseAPDU, _ sw: StatusWord) -> String? {
        expect(response.statusWord, sw)
    }

    private func expect(_ actual: StatusWord, _ sw: StatusWord) -> String? {
        actual == sw ? nil : "answered \(actual), expected \(sw)"
    }

    private func expectSW(_ actual: StatusWord, _ expected: StatusWord) throws {
        if actual != expected { throw UnexpectedStatus(description: "answered \(actual), expected \(expected)") }
    }

    /// Reads the current EF in 256-byte chunks until the card answers 6B00 or a short chunk.
    private func readToEnd() async throws -> [UInt8] {
        var content: [UInt8] = []
        while content.count <= 0x7FFF {
            let response = try await send(
                CommandAPDU(cla: 0, ins: 0xB0, p1: UInt8(content.count >> 8), p2: UInt8(content.count & 0xFF), le: 256))
            if response.statusWord == .wrongP1P2 { break }
            try expectSW(response.statusWord, .success)
            content += response.data
            if response.data.count < 256 { break }
        }
        return content
    }

    /// OpenSC's pattern (jpki-protocol.md §2.3): a 4-byte header read for the DER length, then 256-byte chunks
    /// and the exact remainder.
    private func readLikeOpenSC() async throws -> [UInt8] {
        let header = try await send(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 4))
        try expectSW(header.statusWord, .success)
        guard header.data.count == 4, header.data[0] == 0x30, header.data[1] == 0x82 else {
            throw UnexpectedStatus(
                description: "certificate header \(Hex.encode(header.data, separator: " ")) is not 30 82 LL LL")
        }
        let size = (Int(header.data[2]) << 8 | Int(header.data[3])) + 4
        var content: [UInt8] = []
        while content.count < size {
            let le = min(256, size - content.count)
            let response = try await send(
                CommandAPDU(cla: 0, ins: 0xB0, p1: UInt8(content.count >> 8), p2: UInt8(content.count & 0xFF), le: le))
            try expectSW(response.statusWord, .success)
            guard response.data.count == le else {
                throw UnexpectedStatus(
                    description: "asked \(le) bytes at offset \(content.count), got \(response.data.count)")
            }
            content += response.data
        }
        return content
    }
}
