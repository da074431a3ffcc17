import APDU
import CardCrypto
import YAMLSource

/// Reads mynaconf's own known-answer format (`.kat`, documented in docs/vectors.md): a line-based file of cases, each
/// opened by `[kind]` and made of `name = value` fields; hex values may run on over indented lines.
enum KnownAnswerParser {
    /// A field as written: its value's pieces (one per line) and where the name stands.
    struct Field {
        var name: String
        var position: TextPosition
        var segments: [(text: Substring, position: TextPosition)]
    }

    /// The fields each kind takes. Text fields are taken as written; all others are hex.
    struct Schema {
        var required: [String]
        var optional: [String] = []
        /// Fields that repeat, in this order, once per step (secure-messaging sessions).
        var steps: [String] = []
    }

    static let common = ["name", "source", "expect", "error"]

    static let schemas: [String: Schema] = [
        "aes-cbc": Schema(required: ["key", "iv", "plaintext", "ciphertext"]),
        "tdes-cbc": Schema(required: ["key", "iv", "plaintext", "ciphertext"]),
        "aes-cmac": Schema(required: ["key", "message", "tag"]),
        "retail-mac": Schema(required: ["key", "message", "mac"], optional: ["padding"]),
        "bac-key-seed": Schema(required: ["mrz-information", "key-seed"]),
        "key-derivation": Schema(required: ["suite", "key-seed", "k-enc", "k-mac"]),
        "mutual-authentication": Schema(
            required: [
                "suite", "k-enc", "k-mac", "rnd-ic", "rnd-ifd", "k-ifd", "k-ic", "command", "response", "ks-enc",
                "ks-mac", "ssc",
            ]),
        "secure-messaging": Schema(
            required: ["suite", "ks-enc", "ks-mac", "ssc"],
            steps: ["command", "protected-command", "protected-response", "response"]),
    ]

    static func parse(_ source: VectorSource) throws(Diagnostic) -> [VectorCase] {
        var cases: [VectorCase] = []
        var current: (kind: String, position: TextPosition, fields: [Field])? = nil
        var fileFields: [Field] = []
        var continuing = false

        func finish() throws(Diagnostic) {
            if let open = current {
                cases.append(try build(kind: open.kind, at: open.position, fields: open.fields, source: source))
            }
            current = nil
        }

        for (number, line) in source.lines {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            let indent = line.count - trimmed.count
            if trimmed.isEmpty {
                continuing = false
                continue
            }
            if trimmed.hasPrefix("#") { continue }
            if indent > 0 {
                guard continuing else {
                    throw source.diagnostic(
                        "an indented line continues the value of the field above it, and there is none",
                        at: TextPosition(line: number, column: indent + 1))
                }
                let piece = (trimmed.trimmingTrailingWhitespace, TextPosition(line: number, column: indent + 1))
                if current != nil {
                    current!.fields[current!.fields.count - 1].segments.append(piece)
                } else {
                    fileFields[fileFields.count - 1].segments.append(piece)
                }
                continue
            }
            if trimmed.hasPrefix("[") {
                continuing = false
                try finish()
                let body = trimmed.trimmingTrailingWhitespace
                guard body.hasSuffix("]"), body.count > 2 else {
                    throw source.diagnostic(
                        "a case opens with its kind in brackets, as in [secure-messaging]",
                        at: TextPosition(line: number, column: 1))
                }
                let kind = String(body.dropFirst().dropLast())
                guard schemas[kind] != nil else {
                    let hint = nearest(kind, in: schemas.keys.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
                    throw source.diagnostic(
                        "unknown kind '\(kind)'\(hint); the kinds are \(schemas.keys.sorted().joined(separator: ", "))",
                        at: TextPosition(line: number, column: 2))
                }
                current = (kind, TextPosition(line: number, column: 1), [])
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw source.diagnostic(
                    "expected 'name = value', a [kind] line, a # comment or an indented continuation",
                    at: TextPosition(line: number, column: 1))
            }
            let name = String(trimmed[..<equals].trimmingTrailingWhitespace)
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
                throw source.diagnostic(
                    "a field name is lower-case letters, digits and '-', not '\(name)'",
                    at: TextPosition(line: number, column: 1))
            }
            let afterEquals = trimmed[trimmed.index(after: equals)...]
            let value = afterEquals.drop { $0 == " " || $0 == "\t" }
            let valueColumn = trimmed.distance(from: trimmed.startIndex, to: value.startIndex) + 1
            let field = Field(
                name: name, position: TextPosition(line: number, column: 1),
                segments: [(value.trimmingTrailingWhitespace, TextPosition(line: number, column: valueColumn))])
            if current != nil {
                current!.fields.append(field)
            } else {
                guard ["title", "source"].contains(name) else {
                    throw source.diagnostic(
                        "'\(name)' stands before the first [kind] line; only 'title' and 'source' describe the "
                            + "whole file", at: field.position)
                }
                fileFields.append(field)
            }
            continuing = true
        }
        try finish()
        guard !cases.isEmpty else {
            throw source.diagnostic(
                "the file has no cases: a case opens with [kind]", at: TextPosition(line: 1, column: 1))
        }
        return cases
    }

    /// Checks a case's fields against its kind and makes the check.
    static func build(kind: String, at position: TextPosition, fields: [Field], source: VectorSource)
        throws(Diagnostic) -> VectorCase
    {
        let schema = schemas[kind]!
        let allowed = common + schema.required + schema.optional + schema.steps
        var single: [String: Field] = [:]
        var stepFields: [Field] = []
        for field in fields {
            guard allowed.contains(field.name) else {
                let hint = nearest(field.name, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                throw source.diagnostic(
                    "[\(kind)] has no field '\(field.name)'\(hint); its fields are \(allowed.joined(separator: ", "))",
                    at: field.position)
            }
            if schema.steps.contains(field.name) {
                stepFields.append(field)
                continue
            }
            if let first = single[field.name] {
                throw source.diagnostic(
                    "'\(field.name)' is given twice in this case (first on line \(first.position.line))",
                    at: field.position)
            }
            single[field.name] = field
        }
        for name in schema.required where single[name] == nil {
            throw source.diagnostic("[\(kind)] needs a '\(name)' field", at: position)
        }
        let reader = FieldReader(fields: single, source: source)
        let caseName = try reader.text("name") ?? "[\(kind)] at line \(position.line)"
        let expectation: VectorExpectation
        switch try reader.text("expect") {
        case nil, "valid": expectation = .valid
        case "invalid": expectation = .invalid
        case "acceptable": expectation = .acceptable
        case let other?:
            throw source.diagnostic(
                "expect is 'valid', 'invalid' or 'acceptable', not '\(other)'", at: single["expect"]!.position)
        }
        let check: VectorCheck
        switch kind {
        case "aes-cbc", "tdes-cbc":
            let algorithm: BlockCipherKey.Algorithm = kind == "aes-cbc" ? .aes : .tripleDES
            let (key, iv) = (try reader.hex("key"), try reader.hex("iv"))
            let (plaintext, ciphertext) = (try reader.hex("plaintext"), try reader.hex("ciphertext"))
            if expectation == .valid,
                let problem = cipherInputProblem(
                    algorithm: algorithm, key: key, iv: iv, plaintext: plaintext, ciphertext: ciphertext)
            {
                throw source.diagnostic(problem, at: position)
            }
            check = .blockCipher(
                key: key, algorithm: algorithm, iv: iv, plaintext: plaintext, ciphertext: ciphertext, direction: .both)
        case "aes-cmac":
            check = .cmac(
                algorithm: .aes, key: try reader.hex("key"), message: try reader.hex("message"),
                tag: try reader.hex("tag"))
        case "retail-mac":
            let padding: MACPadding
            switch try reader.text("padding") {
            case nil, "method2": padding = .method2
            case "none": padding = .none
            case let other?:
                throw source.diagnostic(
                    "padding is 'method2' (ISO/IEC 9797-1 padding method 2) or 'none', not '\(other)'",
                    at: single["padding"]!.position)
            }
            check = .retailMAC(
                key: try reader.hex("key"), message: try reader.hex("message"), padding: padding,
                mac: try reader.hex("mac"))
        case "bac-key-seed":
            check = .mrzKeySeed(
                mrzInformation: try reader.text("mrz-information")!, keySeed: try reader.hex("key-seed"))
        case "key-derivation":
            check = .keyDerivation(
                suite: try reader.suite(), keySeed: try reader.hex("key-seed"), encryption: try reader.hex("k-enc"),
                mac: try reader.hex("k-mac"))
        case "mutual-authentication":
            check = .mutualAuthentication(
                MutualAuthenticationVector(
                    suite: try reader.suite(), encryptionKey: try reader.hex("k-enc"), macKey: try reader.hex("k-mac"),
                    cardChallenge: try reader.hex("rnd-ic"), hostChallenge: try reader.hex("rnd-ifd"),
                    hostKeyMaterial: try reader.hex("k-ifd"), cardKeyMaterial: try reader.hex("k-ic"),
                    command: try reader.hex("command"), response: try reader.hex("response"),
                    sessionEncryptionKey: try reader.hex("ks-enc"), sessionMACKey: try reader.hex("ks-mac"),
                    sendSequenceCounter: try reader.hex("ssc")))
        default:  // secure-messaging
            check = .secureMessaging(
                SecureMessagingVector(
                    suite: try reader.suite(), encryptionKey: try reader.hex("ks-enc"),
                    macKey: try reader.hex("ks-mac"), sendSequenceCounter: try reader.hex("ssc"),
                    steps: try steps(stepFields, order: schema.steps, caseAt: position, source: source)))
        }
        let expectedError = try reader.text("error")
        if expectedError != nil && expectation != .invalid {
            throw source.diagnostic(
                "'error' names how an invalid case must be refused; add 'expect = invalid'",
                at: single["error"]!.position)
        }
        return VectorCase(
            location: source.location(position), name: caseName, expectation: expectation, comment: "",
            expectedError: expectedError, check: check)
    }

    /// Groups the repeated fields of a session into steps, each `command`, `protected-command`,
    /// `protected-response`, `response` in that order.
    static func steps(_ fields: [Field], order: [String], caseAt position: TextPosition, source: VectorSource)
        throws(Diagnostic) -> [SecureMessagingVector.Step]
    {
        var steps: [SecureMessagingVector.Step] = []
        var index = 0
        while index < fields.count {
            var values: [[UInt8]] = []
            for (offset, name) in order.enumerated() {
                guard index + offset < fields.count else {
                    let last = fields[fields.count - 1]
                    throw source.diagnostic(
                        "step \(steps.count + 1) ends without '\(name)'; each step is \(order.joined(separator: ", "))",
                        at: last.position)
                }
                let field = fields[index + offset]
                guard field.name == name else {
                    throw source.diagnostic(
                        "'\(field.name)' where step \(steps.count + 1) needs '\(name)'; each step is "
                            + order.joined(separator: ", "), at: field.position)
                }
                values.append(try FieldReader.decodeHex(field, source: source))
            }
            steps.append(
                SecureMessagingVector.Step(
                    command: values[0], protectedCommand: values[1], protectedResponse: values[2], response: values[3]))
            index += order.count
        }
        guard !steps.isEmpty else {
            throw source.diagnostic(
                "[secure-messaging] needs at least one step: command, protected-command, …", at: position)
        }
        return steps
    }

    /// The allowed word nearest to `word` by edit distance (a swap of two neighbours counts as one edit, the commonest
    /// typo), if it is close enough to be a typo.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
            for i in 0...a.count { d[i][0] = i }
            for j in 0...b.count { d[0][j] = j }
            for i in stride(from: 1, through: a.count, by: 1) {
                for j in stride(from: 1, through: b.count, by: 1) {
                    let cost = a[i - 1] == b[j - 1] ? 0 : 1
                    d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                        d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                    }
                }
            }
            return d[a.count][b.count]
        }
        let scored = candidates.map { ($0, distance(Array(word), Array($0))) }.min { $0.1 < $1.1 }
        guard let (best, score) = scored, score <= max(2, word.count / 3) else { return nil }
        return best
    }
}

/// Typed access to a case's fields, with errors at the value's own line and column.
struct FieldReader {
    let fields: [String: KnownAnswerParser.Field]
    let source: VectorSource

    func text(_ name: String) throws(Diagnostic) -> String? {
        guard let field = self.fields[name] else { return nil }
        return field.segments.map { String($0.text) }.joined(separator: " ")
    }

    func hex(_ name: String) throws(Diagnostic) -> [UInt8] {
        try Self.decodeHex(self.fields[name]!, source: self.source)
    }

    func suite() throws(Diagnostic) -> SecureMessagingSuite {
        let field = self.fields["suite"]!
        let text = field.segments.map { String($0.text) }.joined(separator: " ")
        guard let suite = SecureMessagingSuite(rawValue: text) else {
            throw self.source.diagnostic(
                "suite is '3des' or 'aes128', not '\(text)'", at: field.segments.first?.position ?? field.position)
        }
        return suite
    }

    /// Hex over one or more lines; spaces between bytes are allowed, a byte split over two lines is not.
    static func decodeHex(_ field: KnownAnswerParser.Field, source: VectorSource) throws(Diagnostic) -> [UInt8] {
        var bytes: [UInt8] = []
        for segment in field.segments {
            do {
                bytes += try Hex.decode(String(segment.text))
            } catch {
                let column = segment.position.column + max(0, (error.offset ?? 1) - 1)
                throw source.diagnostic(
                    "\(field.name): \(error.message)", at: TextPosition(line: segment.position.line, column: column))
            }
        }
        return bytes
    }
}

extension Substring {
    var trimmingTrailingWhitespace: Substring {
        var end = self.endIndex
        while end > self.startIndex, self[self.index(before: end)] == " " || self[self.index(before: end)] == "\t" {
            end = self.index(before: end)
        }
        return self[self.startIndex..<end]
    }
}
