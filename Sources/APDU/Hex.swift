/// Hex text as people write APDUs in scenarios, logs and specifications.
public enum Hex {
    /// Accepts upper/lower hex with any whitespace between bytes (spaces, tabs, newlines), and also ':' separators
    /// ("3b:e0:00"). Rejects an odd number of digits, a non-hex character (naming it and its 1-based column), a byte
    /// split by a space ("A 4"). Error offsets are 1-based columns: character positions in the whole text, where a
    /// line break counts as one character.
    public static func decode(_ text: String) throws(APDUError) -> [UInt8] {
        try HexText(text).bytes
    }

    /// Upper-case hex; separator between bytes ("" by default, " " for display).
    public static func encode<S: Sequence>(_ bytes: S, separator: String = "") -> String where S.Element == UInt8 {
        var out = ""
        var first = true
        for byte in bytes {
            if !first { out += separator }
            first = false
            out.unicodeScalars.append(digits[Int(byte >> 4)])
            out.unicodeScalars.append(digits[Int(byte & 0x0F)])
        }
        return out
    }

    private static let digits: [Unicode.Scalar] = Array("0123456789ABCDEF".unicodeScalars)
}

/// Decoded hex text that remembers where each byte came from, so that errors found later in the bytes (a wrong Lc,
/// say) can point at a column of the text the user wrote.
struct HexText {
    let bytes: [UInt8]
    /// Column of the first digit of each byte.
    private let columns: [Int]
    /// The column just after the last character: where "missing bytes" point.
    private let endColumn: Int

    init(_ text: String) throws(APDUError) {
        // One pass collects digits and the runs they form; the checks come after, so that an odd total is reported
        // as such instead of as a split byte somewhere before the end.
        var digits: [(value: UInt8, column: Int)] = []
        var runs: [(start: Int, count: Int, separator: Character?, separatorColumn: Int)] = []
        var column = 0
        var inRun = false
        for character in text {
            column += 1
            if let value = Self.hexValue(character) {
                if !inRun { runs.append((column, 0, nil, column)) }
                inRun = true
                runs[runs.count - 1].count += 1
                digits.append((value, column))
            } else if character.isWhitespace || character == ":" {
                if inRun {
                    runs[runs.count - 1].separator = character
                    runs[runs.count - 1].separatorColumn = column
                }
                inRun = false
            } else {
                throw .invalidHex("invalid hex digit \(Self.describe(character))", offset: column)
            }
        }
        if digits.count % 2 != 0 {
            let odd = runs.first { $0.count % 2 != 0 }
            throw .invalidHex("odd number of hex digits (\(digits.count))", offset: odd?.start)
        }
        if let split = runs.firstIndex(where: { $0.count % 2 != 0 }) {
            // An even total with an odd run means the next run finishes this byte: "A 4".
            let run = runs[split]
            let high = text[text.index(text.startIndex, offsetBy: run.start + run.count - 2)]
            let low = text[text.index(text.startIndex, offsetBy: runs[split + 1].start - 1)]
            let by = run.separator.map(Self.describeSeparator) ?? "a separator"
            throw .invalidHex(
                "hex byte split in two: '\(high)' and '\(low)' are separated by \(by)",
                offset: run.separatorColumn)
        }
        var bytes: [UInt8] = []
        var columns: [Int] = []
        bytes.reserveCapacity(digits.count / 2)
        columns.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            bytes.append(digits[index].value << 4 | digits[index + 1].value)
            columns.append(digits[index].column)
            index += 2
        }
        self.bytes = bytes
        self.columns = columns
        self.endColumn = column + 1
    }

    func column(ofByte offset: Int) -> Int {
        offset >= 0 && offset < columns.count ? columns[offset] : endColumn
    }

    private static func hexValue(_ character: Character) -> UInt8? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return ascii - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return ascii - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return ascii - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// 'G' for visible characters; code points for invisible ones, which would otherwise print as nothing.
    private static func describe(_ character: Character) -> String {
        let scalars = character.unicodeScalars.map { "U+" + Hex.encode(codePoint: $0.value) }.joined(separator: " ")
        if let ascii = character.asciiValue {
            return (0x21...0x7E).contains(ascii) ? "'\(character)'" : scalars
        }
        return character.unicodeScalars.allSatisfy { $0.properties.generalCategory.isVisible }
            ? "'\(character)' (\(scalars))" : scalars
    }

    private static func describeSeparator(_ character: Character) -> String {
        switch character {
        case " ": "a space"
        case "\t": "a tab"
        case "\n", "\r", "\r\n": "a line break"
        case ":": "':'"
        default: describe(character)
        }
    }
}

extension Hex {
    /// At least four upper-case digits, as in U+00E9.
    fileprivate static func encode(codePoint: UInt32) -> String {
        var text = encode([
            UInt8(truncatingIfNeeded: codePoint >> 24), UInt8(truncatingIfNeeded: codePoint >> 16),
            UInt8(truncatingIfNeeded: codePoint >> 8), UInt8(truncatingIfNeeded: codePoint),
        ])
        while text.count > 4 && text.hasPrefix("0") { text.removeFirst() }
        return text
    }
}

extension Unicode.GeneralCategory {
    /// Letters, marks, numbers, punctuation and symbols: what shows up when printed between quotes.
    fileprivate var isVisible: Bool {
        switch self {
        case .control, .format, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator,
            .paragraphSeparator:
            false
        default: true
        }
    }
}
