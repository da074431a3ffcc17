import APDU
import CardCrypto
import Scenario
import Transport

/// The rules for a card that belongs to a person: its credentials come only from the environment, nothing that
/// can spend a try or attack the card runs unless allowed, no PIN step runs when a wrong value could block the
/// credential, the card is pinned by identity, and personal data stays out of every report.
public struct RealCardPolicy: Sendable {
    public var allowDestructive: Bool
    public var showPersonalData: Bool

    public init(allowDestructive: Bool, showPersonalData: Bool) {
        self.allowDestructive = allowDestructive
        self.showPersonalData = showPersonalData
    }

    /// Where each credential of a real card comes from: the environment only, never a file.
    public static let credentialVariables: [String: String] = [
        "card.pins.auth": "MYNA_AUTH_PIN", "card.pins.sign": "MYNA_SIGN_PASSWORD", "card.pins.text": "MYNA_TEXT_PIN",
        "card.pins.juki": "MYNA_JUKI_PIN",
    ]

    /// The `${card.…}` values of a real card: its credentials, from the environment; nothing else is known.
    public static func variables(environment: [String: String]) -> VariableStore {
        var card: [String: String] = [:]
        for (path, variable) in credentialVariables {
            if let value = environment[variable], !value.isEmpty { card[path] = value }
        }
        return VariableStore(card: card, environment: environment)
    }

    /// Why `scenario` must not run on a real card, or nil when it may. The reason becomes the `skipped` message.
    public func refusal(for scenario: Scenario, environment: [String: String]) -> String? {
        if scenario.invasive && !allowDestructive {
            return "invasive (attacks the card): refused on a real card without --allow-destructive"
        }
        if scenario.destructive && !allowDestructive {
            return "destructive (can spend PIN tries): refused on a real card without --allow-destructive"
        }
        if let card = scenario.card, card != "default" {
            return "needs the emulated card profile '\(card)', not the card in the reader"
        }
        var missing: Set<String> = []
        var persona: Set<String> = []
        for (path, _) in scenario.steps.flatMap(\.templates).flatMap(\.variables) where path.first == "card" {
            let name = path.joined(separator: ".")
            if let variable = Self.credentialVariables[name] {
                if (environment[variable] ?? "").isEmpty { missing.insert(variable) }
            } else {
                persona.insert(name)
            }
        }
        if !missing.isEmpty { return "needs \(missing.sorted().joined(separator: ", ")) set in the environment" }
        if !persona.isEmpty {
            return "needs values a real card's holder has not given: \(persona.sorted().joined(separator: ", "))"
        }
        return nil
    }

    /// EFs whose content is personal data (the My Number, the four attributes, images, the signing certificate),
    /// by application AID and FID, masked in reports unless `--show-personal-data`.
    static let personalFiles: [[UInt8]: Set<UInt16>] = [
        ScenarioLanguage.applications["jpki"]!: [0x0001],
        ScenarioLanguage.applications["text"]!: [0x0001, 0x0002],
        ScenarioLanguage.applications["visual"]!: [0x0001, 0x0002, 0x0005],
    ]

    static func isPersonal(application: [UInt8]?, file: UInt16?) -> Bool {
        guard let application, let file else { return false }
        return personalFiles[application]?.contains(file) ?? false
    }
}

extension Step {
    /// Every template the step (and the steps inside it) evaluates.
    var templates: [Template] {
        var found: [Template] = []
        switch action {
        case .apdu(let t), .selectApplication(let t), .selectFile(let t): found = [t]
        case .verify(let ef, let pin): found = [ef, pin].compactMap { $0 }
        case .changePIN(let ef, let new): found = [ef, new].compactMap { $0 }
        case .read(let ef, _): found = [ef].compactMap { $0 }
        case .sign(let key, let data): found = [key, data].compactMap { $0 }
        case .repeatSteps(_, let steps): found = steps.flatMap(\.templates)
        case .readRecord, .getChallenge, .reset, .powerCycle, .wait: found = []
        case .mutualAuthenticate(let setup): found = [setup.key]
        case .installAP(let spec):
            found = [spec.session.key, spec.session.manager, spec.package] + [spec.aid].compactMap { $0 }
        case .deleteAP(let session, let aid): found = [session.key, session.manager, aid]
        case .moveOut(let session): found = [session.key, session.manager]
        }
        if let certificate = expect.certificate {
            found +=
                [certificate.chainTo].compactMap { $0 } + certificate.subject.map(\.value)
                + certificate.issuer.map(\.value)
        }
        if let signature = expect.signature {
            found += [signature.certificate, signature.message, signature.digestInfo].compactMap { $0 }
        }
        // Computed values in the chip's expectations, and a revocation check's inputs.
        found += expect.tlv.compactMap(\.valueTemplate) + expect.tlv.compactMap(\.utf8)
        if let (template, _) = expect.dataTemplate { found.append(template) }
        if let revocation = expect.certificate?.revocation {
            found += [revocation.issuer, revocation.crl, revocation.ocsp].compactMap { $0 }
        }
        return found
    }
}

/// Who the card in the reader is: the serial number and subject of its user-authentication certificate, read
/// at the start of a run and again before each scenario, so a card swapped mid-run stops the run.
public struct CardIdentity: Sendable, Hashable, CustomStringConvertible {
    public var certificateSerial: String
    public var subject: String

    public var description: String { "certificate serial \(certificateSerial) (\(subject))" }

    /// Selects the JPKI AP and reads EF 000A; nil when the card has no readable JPKI certificate.
    public static func read(from channel: any CardChannel) async -> CardIdentity? {
        func send(_ hex: String) async -> ResponseAPDU? {
            guard let bytes = try? Hex.decode(hex), let raw = try? await channel.transmit(bytes) else { return nil }
            return try? ResponseAPDU(bytes: raw)
        }
        guard await send("00A4040C0AD392F000260100000001")?.statusWord == .success,
            await send("00A4020C02000A")?.statusWord == .success,
            let header = await send("00B0000004"), header.statusWord == .success, header.data.count == 4
        else { return nil }
        let size = (Int(header.data[2]) << 8 | Int(header.data[3])) + 4
        var content: [UInt8] = []
        while content.count < size {
            let le = min(256, size - content.count)
            let command = Hex.encode([
                0x00, 0xB0, UInt8(content.count >> 8), UInt8(content.count & 0xFF), UInt8(le & 0xFF),
            ])
            guard let chunk = await send(command), chunk.statusWord == .success, !chunk.data.isEmpty else { return nil }
            content += chunk.data
        }
        guard let certificate = try? CertificateSummary(derEncoded: content) else { return nil }
        return CardIdentity(certificateSerial: Hex.encode(certificate.serialNumber), subject: certificate.subject)
    }
}
