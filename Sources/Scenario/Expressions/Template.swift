import APDU
import YAMLSource

/// Text with `${...}` expressions in it, as a scenario writes an APDU (`00 20 00 80 ${lc(card.pins.auth)} ...`)
/// or a PIN (`${card.pins.auth}`). Parsing checks the expressions; the runner evaluates them.
public struct Template: Sendable, CustomStringConvertible {
    public enum Part: Sendable {
        case literal(String, column: Int)
        case expression(Expression)
    }

    public let text: String
    public let parts: [Part]
    /// Where the template's text starts; columns in parts count from here.
    public let location: SourceLocation

    /// A template that is its literal text, for values built in code.
    public init(literal text: String, location: SourceLocation) {
        self.text = text
        self.parts = text.isEmpty ? [] : [.literal(text, column: 1)]
        self.location = location
    }

    private init(text: String, parts: [Part], location: SourceLocation) {
        self.text = text
        self.parts = parts
        self.location = location
    }

    public var description: String { text }

    /// The location of a 1-based column within the template's text.
    public func location(ofColumn column: Int) -> SourceLocation {
        var place = location
        place.column += column - 1
        return place
    }

    /// Every variable path the template reads (`card.pins.auth`, `env.PIN`, `cert`).
    public var variables: [(path: [String], column: Int)] {
        parts.flatMap { part -> [(path: [String], column: Int)] in
            guard case .expression(let expression) = part else { return [] }
            return expression.variables
        }
    }

    public var hasExpressions: Bool {
        parts.contains { if case .expression = $0 { true } else { false } }
    }

    /// Parses `text`, whose first character sits at `location` (quoted scalars: the opening quote is skipped by
    /// the caller).
    public static func parse(_ text: String, at location: SourceLocation) throws(Diagnostic) -> Template {
        let characters = Array(text)
        var parts: [Part] = []
        var literal = ""
        var literalStart = 1
        var index = 0
        while index < characters.count {
            if characters[index] == "$", index + 1 < characters.count, characters[index + 1] == "{" {
                if !literal.isEmpty { parts.append(.literal(literal, column: literalStart)) }
                literal = ""
                var parser = ExpressionParser(characters: characters, index: index + 2, location: location)
                let expression = try parser.parseExpression()
                parser.skipSpaces()
                guard parser.index < characters.count, characters[parser.index] == "}" else {
                    throw parser.error("expected '}' to close '${' opened at column \(index + 1)")
                }
                parts.append(.expression(expression))
                index = parser.index + 1
                literalStart = index + 1
                continue
            }
            literal.append(characters[index])
            index += 1
        }
        if !literal.isEmpty { parts.append(.literal(literal, column: literalStart)) }
        return Template(text: text, parts: parts, location: location)
    }
}

/// An expression inside `${...}`: a text literal, a number, a variable path, or a function call.
public indirect enum Expression: Sendable {
    case text(String, column: Int)
    case number(Int, column: Int)
    case path([String], column: Int)
    case call(String, [Expression], column: Int)

    public var column: Int {
        switch self {
        case .text(_, let column), .number(_, let column), .path(_, let column), .call(_, _, let column): column
        }
    }

    var variables: [(path: [String], column: Int)] {
        switch self {
        case .text, .number: []
        case .path(let path, let column): [(path, column)]
        case .call(let name, let arguments, _):
            // The first argument of digestinfo names an algorithm, not a variable.
            arguments.enumerated().flatMap { index, argument -> [(path: [String], column: Int)] in
                if TemplateFunction.namesAlgorithm(name), index == 0, case .path = argument { return [] }
                return argument.variables
            }
        }
    }
}

/// The functions a template may call, with how many arguments each takes.
public enum TemplateFunction: String, CaseIterable, Sendable {
    /// SHA-1 / SHA-256 of the argument's bytes (text is taken as UTF-8).
    case sha1, sha256
    /// A DER DigestInfo: `digestinfo(sha256, "hello")` hashes the message and wraps the hash.
    case digestinfo
    /// The UTF-8 bytes of a text, as hex: `hex("JPKI")` = 4A 50 4B 49.
    case hex
    /// `random(8)`: that many random bytes.
    case random
    /// The Lc byte(s) for the argument: its length, one byte up to 255, `00 LL LL` beyond.
    case lc
    /// The length of the argument in bytes, as a number.
    case len
    /// `digestinfo_prehashed(sha256, h)`: a DigestInfo around `h` as given, of any length (the visual AP's card
    /// face signs one around three concatenated SHA-256 hashes).
    case digestinfoPrehashed = "digestinfo_prehashed"
    /// `concat(a, b, …)`: the arguments' bytes one after another (2 to 16 of them).
    case concat
    /// `tlv_value(x, "FF20/DF22")`: the value of the BER-TLV object at that path in x's bytes.
    case tlvValue = "tlv_value"
    /// `tlv_object(x, "FF20/DF22")`: that object as written — tag, length and value.
    case tlvObject = "tlv_object"
    /// `unhex(x)`: x's text read as hex (`unhex("4A50")` = 4A 50), for keys a profile gives as text.
    case unhex

    var arity: ClosedRange<Int> {
        switch self {
        case .digestinfo, .digestinfoPrehashed, .tlvValue, .tlvObject: 2...2
        case .concat: 2...16
        default: 1...1
        }
    }

    /// Functions whose first argument is a hash algorithm's name (`sha1`, `sha256`), not a variable.
    public static func namesAlgorithm(_ name: String) -> Bool { name == "digestinfo" || name == "digestinfo_prehashed" }
}

struct ExpressionParser {
    let characters: [Character]
    var index: Int
    let location: SourceLocation
    /// How many calls enclose the expression being read: each is a level of recursion here and wherever the
    /// expression is walked, so a line of 100000 `sha1(` must be an error, not a stack overflow.
    var depth = 0
    static let maximumDepth = 32

    func error(_ message: String) -> Diagnostic {
        var place = location
        place.column += index
        return Diagnostic(message, at: place)
    }

    mutating func skipSpaces() {
        while index < characters.count, characters[index] == " " { index += 1 }
    }

    mutating func parseExpression() throws(Diagnostic) -> Expression {
        skipSpaces()
        guard index < characters.count else { throw error("expected an expression before the end of the text") }
        let column = index + 1
        let character = characters[index]
        if character == "\"" {
            index += 1
            var text = ""
            while index < characters.count, characters[index] != "\"" {
                if characters[index] == "\\", index + 1 < characters.count {
                    index += 1
                }
                text.append(characters[index])
                index += 1
            }
            guard index < characters.count else { throw error("unterminated text: a '\"' is missing") }
            index += 1
            return .text(text, column: column)
        }
        if character.isNumber, character.isASCII {
            var digits = ""
            while index < characters.count, characters[index].isNumber, characters[index].isASCII {
                digits.append(characters[index])
                index += 1
            }
            guard let value = Int(digits), value <= 65_536 else { throw error("number \(digits) is too large") }
            return .number(value, column: column)
        }
        guard character.isLetter || character == "_" else {
            throw error("unexpected '\(character)': expected a variable, a function call, a number or \"text\"")
        }
        var path: [String] = []
        repeat {
            if !path.isEmpty { index += 1 }  // the dot
            var name = ""
            while index < characters.count,
                characters[index].isLetter || characters[index].isNumber || characters[index] == "_"
                    || characters[index] == "-"
            {
                name.append(characters[index])
                index += 1
            }
            guard !name.isEmpty else { throw error("expected a name after '.'") }
            path.append(name)
        } while index < characters.count && characters[index] == "."
        skipSpaces()
        guard index < characters.count, characters[index] == "(" else { return .path(path, column: column) }
        let name = path.joined(separator: ".")
        guard let function = TemplateFunction(rawValue: name) else {
            var place = location
            place.column += column - 1
            let known = TemplateFunction.allCases.map(\.rawValue).joined(separator: ", ")
            throw Diagnostic("unknown function '\(name)'; known: \(known)", at: place)
        }
        guard depth < Self.maximumDepth else {
            throw error("functions nested more than \(Self.maximumDepth) deep; capture a part in an earlier step")
        }
        index += 1
        depth += 1
        defer { depth -= 1 }
        var arguments: [Expression] = []
        skipSpaces()
        if index < characters.count, characters[index] == ")" {
            index += 1
        } else {
            while true {
                arguments.append(try parseExpression())
                skipSpaces()
                guard index < characters.count else { throw error("expected ')' to close \(name)(") }
                if characters[index] == "," {
                    index += 1
                    continue
                }
                guard characters[index] == ")" else { throw error("expected ',' or ')' in \(name)(...)") }
                index += 1
                break
            }
        }
        guard function.arity.contains(arguments.count) else {
            var place = location
            place.column += column - 1
            let arity = function.arity
            let count = arity.count == 1 ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)"
            let plural = arity == 1...1 ? "" : "s"
            throw Diagnostic("\(name) takes \(count) argument\(plural), not \(arguments.count)", at: place)
        }
        if function == .tlvValue || function == .tlvObject {
            // A literal path is checked now: tags separated by '/'.
            if case .text(let path, let pathColumn) = arguments[1], let problem = TLVPath.problem(in: path) {
                var place = location
                place.column += pathColumn - 1
                throw Diagnostic("\(name)'s path: \(problem)", at: place)
            }
        }
        if TemplateFunction.namesAlgorithm(name) {
            let algorithm = arguments[0]
            let valid: Bool
            switch algorithm {
            case .path(let path, _): valid = path == ["sha1"] || path == ["sha256"]
            case .text(let text, _): valid = text == "sha1" || text == "sha256"
            default: valid = false
            }
            if !valid {
                var place = location
                place.column += algorithm.column - 1
                throw Diagnostic("\(name)'s first argument is the hash: sha1 or sha256", at: place)
            }
        }
        return .call(name, arguments, column: column)
    }
}

/// A path of BER tags through nested TLV objects, as `tlv` expectations and `tlv_value` write it: `FF20/DF22`.
public enum TLVPath {
    /// The tags, or nil when one of them is not a BER tag.
    public static func tags(_ text: String) -> [BERTag]? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        var tags: [BERTag] = []
        for part in parts {
            guard let tag = try? BERTag(hex: String(part)) else { return nil }
            tags.append(tag)
        }
        return tags.isEmpty ? nil : tags
    }

    public static func problem(in text: String) -> String? {
        for part in text.split(separator: "/", omittingEmptySubsequences: false) {
            do { _ = try BERTag(hex: String(part)) } catch { return "'\(part)' is not a BER tag: \(error)" }
        }
        return nil
    }
}
