// Our own XML writer: FoundationXML cuts text at NUL and writes control characters raw, which makes a file no
// JUnit consumer can read. Research: shared/docs/research/swift-stack.md §6.

/// Escaping for XML 1.0 text and attribute values.
public enum XMLEscaping {
    /// Text content: `& < >` escaped (escaping `>` also neutralises `]]>`), CR kept as `&#13;` (a parser would
    /// otherwise turn CR LF into LF), forbidden and discouraged characters made visible.
    public static func text(_ value: String) -> String {
        escape(value, inAttribute: false)
    }

    /// Attribute values: as text, plus `"` and `'`, and TAB, LF and CR as character references, which attribute
    /// value normalisation would otherwise turn into spaces.
    public static func attribute(_ value: String) -> String {
        escape(value, inAttribute: true)
    }

    /// Characters XML 1.0 forbids even as references: U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+FFFE, U+FFFF.
    /// (Lone surrogates cannot occur in a Swift string.)
    public static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00...0x1F, 0xFFFE, 0xFFFF: true
        default: false
        }
    }

    /// Characters XML 1.0 allows but discourages: DEL and the C1 controls. Viewers show them as nothing or, on a
    /// terminal, act on them (U+009B starts a control sequence), so they are made visible too.
    public static func isDiscouraged(_ scalar: Unicode.Scalar) -> Bool {
        (0x7F...0x9F).contains(scalar.value)
    }

    /// How a forbidden character is shown: as Swift writes it, `\u{1B}`, so a reader sees it was there.
    public static func visible(_ scalar: Unicode.Scalar) -> String {
        "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
    }

    private static func escape(_ value: String, inAttribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\r": out += "&#13;"
            case "\"" where inAttribute: out += "&quot;"
            case "'" where inAttribute: out += "&apos;"
            case "\n" where inAttribute: out += "&#10;"
            case "\t" where inAttribute: out += "&#9;"
            default:
                if isForbidden(scalar) || isDiscouraged(scalar) {
                    out += visible(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// Builds an indented XML document element by element; every name and value goes through `XMLEscaping`.
struct XMLWriter {
    private(set) var document = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    private var open: [String] = []

    private var indent: String { String(repeating: "  ", count: open.count) }

    private static func tag(_ name: String, _ attributes: [(String, String)]) -> String {
        var tag = "<" + name
        for (key, value) in attributes {
            tag += " \(key)=\"\(XMLEscaping.attribute(value))\""
        }
        return tag
    }

    /// Opens an element whose children follow on their own lines.
    mutating func start(_ name: String, _ attributes: [(String, String)] = []) {
        document += indent + Self.tag(name, attributes) + ">\n"
        open.append(name)
    }

    mutating func end() {
        let name = open.removeLast()
        document += indent + "</\(name)>\n"
    }

    /// A whole element on one line, empty (`<x a="b"/>`) when `text` is nil or empty. Text is written as is,
    /// without indentation, so a transcript keeps its own layout.
    mutating func element(_ name: String, _ attributes: [(String, String)] = [], text: String? = nil) {
        if let text, !text.isEmpty {
            document += indent + Self.tag(name, attributes) + ">" + XMLEscaping.text(text) + "</\(name)>\n"
        } else {
            document += indent + Self.tag(name, attributes) + "/>\n"
        }
    }
}
