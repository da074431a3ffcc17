import APDU
import CardCrypto
import Scenario
import YAMLSource

/// The values a scenario's `${...}` can read: the card's (from the profile on the emulator, from the
/// environment on a real card), the environment's, and what earlier steps captured.
public struct VariableStore: Sendable {
    /// Full paths as the language names them: `card.pins.auth` → `1234`.
    public var card: [String: String]
    public var environment: [String: String]
    public var captures: [String: [UInt8]] = [:]

    public init(card: [String: String], environment: [String: String]) {
        self.card = card
        self.environment = environment
    }
}

/// Bytes produced from a template, with the ranges that came from a credential or the environment so a
/// transcript can mask them.
struct EvaluatedBytes {
    var bytes: [UInt8] = []
    var secret: [Range<Int>] = []

    mutating func append(_ more: [UInt8], secret isSecret: Bool) {
        if isSecret && !more.isEmpty { secret.append(bytes.count..<(bytes.count + more.count)) }
        bytes += more
    }

    /// True when any byte came from a credential or the environment.
    var hasSecret: Bool { secret.contains { !$0.isEmpty } }

    /// The bytes as hex, each run of secret bytes one `********`: for expected values in failure messages.
    var maskedHex: String {
        var tokens: [String] = []
        for (index, byte) in bytes.enumerated() {
            if secret.contains(where: { $0.contains(index) }) {
                if tokens.last != "********" { tokens.append("********") }
            } else {
                tokens.append(Hex.encode([byte]))
            }
        }
        return tokens.joined(separator: " ")
    }
}

/// A template's problem at run time (a variable with no value, a number that does not fit), with its place.
struct EvaluationError: Error {
    var message: String
    var location: SourceLocation
}

/// Evaluates templates. Values are bytes, text or numbers; in a hex template text becomes its UTF-8 bytes and a
/// number one byte; in a text template (a PIN) literal text is taken as written.
struct TemplateEvaluator {
    enum Value {
        case bytes([UInt8])
        case text(String)
        case number(Int)
    }

    var store: VariableStore
    var random: any RandomSource

    mutating func hex(_ template: Template) throws(EvaluationError) -> EvaluatedBytes {
        var result = EvaluatedBytes()
        for part in template.parts {
            switch part {
            case .literal(let text, let column):
                do {
                    result.append(try Hex.decode(text), secret: false)
                } catch {
                    throw EvaluationError(
                        message: "bad hex: \(error.message)", location: template.location(ofColumn: column))
                }
            case .expression(let expression):
                let (value, secret) = try evaluate(expression, in: template)
                result.append(try bytes(of: value, expression: expression, in: template), secret: secret)
            }
        }
        return result
    }

    mutating func text(_ template: Template) throws(EvaluationError) -> EvaluatedBytes {
        var result = EvaluatedBytes()
        for part in template.parts {
            switch part {
            case .literal(let text, _):
                result.append(Array(text.utf8), secret: false)
            case .expression(let expression):
                let (value, secret) = try evaluate(expression, in: template)
                switch value {
                case .number(let number): result.append(Array(String(number).utf8), secret: secret)
                default: result.append(try bytes(of: value, expression: expression, in: template), secret: secret)
                }
            }
        }
        return result
    }

    private func bytes(of value: Value, expression: Expression, in template: Template) throws(EvaluationError)
        -> [UInt8]
    {
        switch value {
        case .bytes(let bytes): return bytes
        case .text(let text): return Array(text.utf8)
        case .number(let number):
            guard (0...255).contains(number) else {
                throw EvaluationError(
                    message: "\(number) does not fit in one byte",
                    location: template.location(ofColumn: expression.column))
            }
            return [UInt8(number)]
        }
    }

    /// The value and whether it is secret (a credential or an environment value, masked in transcripts).
    private mutating func evaluate(_ expression: Expression, in template: Template) throws(EvaluationError) -> (
        Value, Bool
    ) {
        let location = template.location(ofColumn: expression.column)
        switch expression {
        case .text(let text, _): return (.text(text), false)
        case .number(let number, _): return (.number(number), false)
        case .path(let path, _):
            let name = path.joined(separator: ".")
            switch path.first {
            case "card":
                guard let value = store.card[name] else {
                    throw EvaluationError(message: "\(name) has no value for this card", location: location)
                }
                // Credentials: the PINs, and the 照合番号 (they open the card like a PIN does).
                let secret = ScenarioLanguage.isSecretCardVariable(name)
                // The free area's keys, AIDs and packages are bytes (hex in the store), so `${card.free_area.local.key}`
                // can stand where hex goes.
                if name.hasPrefix("card.free_area."), !name.hasSuffix(".suite"), !name.hasSuffix(".password"),
                    let bytes = try? Hex.decode(value)
                {
                    return (.bytes(bytes), secret)
                }
                return (.text(value), secret)
            case "env":
                guard let value = store.environment[path[1]] else {
                    throw EvaluationError(message: "the environment variable \(path[1]) is not set", location: location)
                }
                return (.text(value), true)
            default:
                guard let value = store.captures[name] else {
                    throw EvaluationError(message: "\(name) was not captured (did its step fail?)", location: location)
                }
                return (.bytes(value), false)
            }
        case .call(let name, let arguments, _):
            var values: [(Value, Bool)] = []
            for argument in arguments {
                if TemplateFunction.namesAlgorithm(name), values.isEmpty, case .path(let path, _) = argument {
                    values.append((.text(path.joined(separator: ".")), false))
                } else {
                    values.append(try evaluate(argument, in: template))
                }
            }
            let secret = values.contains { $0.1 }
            func data(_ index: Int) throws(EvaluationError) -> [UInt8] {
                try bytes(of: values[index].0, expression: arguments[index], in: template)
            }
            switch TemplateFunction(rawValue: name) {
            case .sha1: return (.bytes(HashAlgorithm.sha1.hash(try data(0))), secret)
            case .sha256: return (.bytes(HashAlgorithm.sha256.hash(try data(0))), secret)
            case .digestinfo:
                guard case .text(let algorithmName) = values[0].0,
                    let algorithm = HashAlgorithm(rawValue: algorithmName)
                else {
                    throw EvaluationError(message: "digestinfo needs sha1 or sha256", location: location)
                }
                return (.bytes(DigestInfo.of(algorithm, message: try data(1))), secret)
            case .hex: return (.bytes(try data(0)), secret)
            case .random:
                guard case .number(let count) = values[0].0, (1...65_536).contains(count) else {
                    throw EvaluationError(message: "random takes a byte count from 1 to 65536", location: location)
                }
                return (.bytes(random.bytes(count)), false)
            case .lc:
                let length = try data(0).count
                if length <= 255 { return (.bytes([UInt8(length)]), false) }
                return (.bytes([0x00, UInt8(length >> 8), UInt8(length & 0xFF)]), false)
            case .len: return (.number(try data(0).count), false)
            case .digestinfoPrehashed:
                guard case .text(let algorithmName) = values[0].0, HashAlgorithm(rawValue: algorithmName) != nil else {
                    throw EvaluationError(message: "digestinfo_prehashed needs sha1 or sha256", location: location)
                }
                return (.bytes(Self.digestInfo(algorithmName, wrapping: try data(1))), secret)
            case .concat:
                var joined: [UInt8] = []
                for index in arguments.indices {
                    joined += try data(index)
                    // Nested concats multiply (16 arguments each): stop before gigabytes, not after.
                    guard joined.count <= Self.maximumValue else {
                        throw EvaluationError(
                            message: "concat makes more than \(Self.maximumValue) bytes; no command or hash needs that",
                            location: location)
                    }
                }
                return (.bytes(joined), secret)
            case .tlvValue, .tlvObject:
                let text = String(decoding: try data(1), as: UTF8.self)
                guard let path = TLVPath.tags(text) else {
                    throw EvaluationError(message: "\(Self.quoted(text)) is not a path of BER tags", location: location)
                }
                let bytes = try data(0)
                guard let found = ValueChecks.object(at: path, in: bytes) else {
                    throw EvaluationError(
                        message: "\(name): no object \(Self.quoted(text)) in the \(bytes.count) bytes given",
                        location: location)
                }
                return (.bytes(name == "tlv_value" ? found.tlv.value : found.encoded), secret)
            case .unhex:
                let text = String(decoding: try data(0), as: UTF8.self)
                do {
                    return (.bytes(try Hex.decode(text)), secret)
                } catch {
                    // A secret (a password, an env value) is named, never quoted.
                    let named: String
                    if case .path(let path, _) = arguments[0] {
                        named = path.joined(separator: ".")
                    } else {
                        named = "its argument"
                    }
                    let shown = secret ? "the secret value of \(named)" : Self.quoted(text)
                    throw EvaluationError(
                        message: "unhex: \(shown) is not hex\(secret ? "" : ": \(error.message)")", location: location)
                }
            case nil: throw EvaluationError(message: "unknown function \(name)", location: location)
            }
        }
    }
}

extension TemplateEvaluator {
    /// The longest value a template may make: sixteen times the largest `random`, more than any APDU holds.
    static let maximumValue = 1_048_576

    /// Text from a value, quoted for a message: a long one (up to a megabyte of random bytes) is cut to its start.
    static func quoted(_ text: String) -> String {
        guard text.count > 48 else { return "'\(text)'" }
        return "'\(text.prefix(48))…' (\(text.count) characters)"
    }

    /// DER DigestInfo { AlgorithmIdentifier, OCTET STRING digest } around digest bytes as given, of any length.
    static func digestInfo(_ algorithm: String, wrapping digest: [UInt8]) -> [UInt8] {
        let identifier: [UInt8] =
            algorithm == "sha1"
            ? [0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00]
            : [0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00]
        return BERTLV(tag: BERTag(0x30), value: identifier + BERTLV(tag: BERTag(0x04), value: digest).encoded).encoded
    }
}
