import APDU
import CardCrypto
import YAMLSource

/// Reads NIST CAVP response files (`.rsp`) for AES (AESAVS: GFSbox, KeySbox, VarKey, VarTxt, MMT, MCT) and TDES
/// (TDESAVS: MMT and KAT files with KEY1/KEY2/KEY3 or KEYs), ECB or CBC as the file name says.
///
/// The files are used unchanged: `#` header lines, `[ENCRYPT]` / `[DECRYPT]` sections, and records of `NAME = value`
/// lines that start with `COUNT`. Every record becomes one case at the line of its COUNT.
enum CAVPParser {
    static let recordFields: Set<String> = [
        "COUNT", "KEY", "KEYs", "KEY1", "KEY2", "KEY3", "IV", "PLAINTEXT", "CIPHERTEXT",
    ]

    static func parse(_ source: VectorSource) throws(Diagnostic) -> [VectorCase] {
        let fileName = source.path.split(separator: "/").last.map(String.init) ?? source.path
        let upper = fileName.uppercased()
        let cbc = upper.contains("CBC")
        guard cbc || upper.contains("ECB") else {
            throw source.diagnostic(
                "cannot tell the mode from the file name '\(fileName)': mynaconf runs the CBC and ECB files (CBC*.rsp, "
                    + "ECB*.rsp, TCBC*.rsp, TECB*.rsp)", at: TextPosition(line: 1, column: 1))
        }
        let monteCarlo = upper.contains("MCT") || upper.contains("MONTE")

        var cases: [VectorCase] = []
        var section: (encrypting: Bool, name: String)? = nil
        var record: [String: (value: Substring, position: TextPosition)] = [:]
        var recordStart: TextPosition? = nil

        func finish() throws(Diagnostic) {
            guard let start = recordStart else { return }
            cases.append(
                try makeCase(record, at: start, section: section!, cbc: cbc, monteCarlo: monteCarlo, source: source))
            record = [:]
            recordStart = nil
        }

        for (number, line) in source.lines {
            let text = line.trimmingTrailingWhitespace.drop { $0 == " " || $0 == "\t" }
            if text.isEmpty {
                try finish()
                continue
            }
            if text.hasPrefix("#") { continue }
            let position = TextPosition(line: number, column: line.count - text.count + 1)
            if text.hasPrefix("[") {
                try finish()
                switch text {
                case "[ENCRYPT]": section = (true, "ENCRYPT")
                case "[DECRYPT]": section = (false, "DECRYPT")
                default:
                    throw source.diagnostic(
                        "unknown section \(text); AES and TDES files have [ENCRYPT] and [DECRYPT]", at: position)
                }
                continue
            }
            guard let equals = text.firstIndex(of: "=") else {
                throw source.diagnostic("expected 'NAME = value'", at: position)
            }
            let name = String(text[..<equals].trimmingTrailingWhitespace)
            let valueStart = text[text.index(after: equals)...].drop { $0 == " " }
            let valuePosition = TextPosition(
                line: number, column: position.column + text.distance(from: text.startIndex, to: valueStart.startIndex))
            guard recordFields.contains(name) else {
                throw source.diagnostic(
                    "unknown field '\(name)'; records hold \(recordFields.sorted().joined(separator: ", "))",
                    at: position)
            }
            if name == "COUNT" {
                try finish()
                guard section != nil else {
                    throw source.diagnostic("a record before any [ENCRYPT] or [DECRYPT] section", at: position)
                }
                recordStart = position
            } else if recordStart == nil {
                throw source.diagnostic("'\(name)' outside a record: records start with COUNT", at: position)
            }
            if let first = record[name] {
                throw source.diagnostic(
                    "'\(name)' is given twice in this record (first on line \(first.position.line))", at: position)
            }
            record[name] = (valueStart, valuePosition)
        }
        try finish()
        guard !cases.isEmpty else {
            throw source.diagnostic(
                "no records: a CAVP file has COUNT = … records", at: TextPosition(line: 1, column: 1))
        }
        return cases
    }

    private static func makeCase(
        _ record: [String: (value: Substring, position: TextPosition)],
        at start: TextPosition,
        section: (encrypting: Bool, name: String),
        cbc: Bool,
        monteCarlo: Bool,
        source: VectorSource
    ) throws(Diagnostic) -> VectorCase {
        func hex(_ name: String) throws(Diagnostic) -> [UInt8] {
            guard let field = record[name] else {
                throw source.diagnostic("the record has no \(name)", at: start)
            }
            do {
                return try Hex.decode(String(field.value))
            } catch {
                let column = field.position.column + max(0, (error.offset ?? 1) - 1)
                throw source.diagnostic(
                    "\(name): \(error.message)", at: TextPosition(line: field.position.line, column: column))
            }
        }
        let count = record["COUNT"].map { String($0.value) } ?? "?"
        let name = "COUNT \(count) [\(section.name)]"
        let algorithm: BlockCipherKey.Algorithm
        let key: [UInt8]
        if record["KEY"] != nil {
            algorithm = .aes
            key = try hex("KEY")
        } else if record["KEYs"] != nil {
            algorithm = .tripleDES
            let single = try hex("KEYs")
            key = single + single + single
        } else {
            algorithm = .tripleDES
            key = try hex("KEY1") + hex("KEY2") + hex("KEY3")
        }
        let iv = cbc ? try hex("IV") : nil
        let plaintext = try hex("PLAINTEXT")
        let ciphertext = try hex("CIPHERTEXT")
        if let problem = cipherInputProblem(
            algorithm: algorithm, key: key, iv: iv, plaintext: plaintext, ciphertext: ciphertext)
        {
            throw source.diagnostic(problem, at: start)
        }
        let check: VectorCheck
        if monteCarlo {
            guard algorithm == .aes, cbc, let iv else {
                throw source.diagnostic(
                    "Monte Carlo records are run for AES-CBC only (CBCMCT128/192/256.rsp)", at: start)
            }
            check = .aesMonteCarlo(
                key: key, iv: iv, input: section.encrypting ? plaintext : ciphertext,
                output: section.encrypting ? ciphertext : plaintext, encrypting: section.encrypting)
        } else {
            check = .blockCipher(
                key: key, algorithm: algorithm, iv: iv, plaintext: plaintext, ciphertext: ciphertext,
                direction: section.encrypting ? .encrypt : .decrypt)
        }
        return VectorCase(
            location: source.location(start), name: name, expectation: .valid, comment: "", check: check)
    }
}

/// Why a block-cipher record cannot be a valid known answer (a key, IV or data of an impossible length), or nil.
func cipherInputProblem(
    algorithm: BlockCipherKey.Algorithm, key: [UInt8], iv: [UInt8]?, plaintext: [UInt8], ciphertext: [UInt8]
) -> String? {
    let block = algorithm == .aes ? 16 : 8
    let keyLengths = algorithm == .aes ? [16, 24, 32] : [16, 24]
    let name = algorithm == .aes ? "an AES key" : "a triple-DES key"
    if !keyLengths.contains(key.count) {
        return "\(name) is \(keyLengths.map(String.init).joined(separator: ", ")) bytes, not \(key.count)"
    }
    if let iv, iv.count != block { return "the IV is \(block) bytes, not \(iv.count)" }
    if plaintext.count != ciphertext.count || !plaintext.count.isMultiple(of: block) {
        return "plaintext (\(plaintext.count) bytes) and ciphertext (\(ciphertext.count)) must be the same whole "
            + "number of \(block)-byte blocks"
    }
    return nil
}
