import YAMLSource

/// A filter over scenario tags, as `--tags` takes it: tag names with `and`, `or`, `not` and parentheses;
/// `not` binds tightest, then `and`, then `or` (`jpki and not destructive`, `pin or sign`).
public indirect enum TagExpression: Sendable, CustomStringConvertible {
    case tag(String)
    case not(TagExpression)
    case and(TagExpression, TagExpression)
    case or(TagExpression, TagExpression)

    public func matches(_ tags: Set<String>) -> Bool {
        switch self {
        case .tag(let name): tags.contains(name)
        case .not(let inner): !inner.matches(tags)
        case .and(let left, let right): left.matches(tags) && right.matches(tags)
        case .or(let left, let right): left.matches(tags) || right.matches(tags)
        }
    }

    public var description: String {
        switch self {
        case .tag(let name): name
        case .not(let inner): "not \(inner)"
        case .and(let left, let right): "(\(left) and \(right))"
        case .or(let left, let right): "(\(left) or \(right))"
        }
    }

    /// Parses the expression; the error names the column (1-based) where it went wrong.
    public static func parse(_ text: String) throws(Diagnostic) -> TagExpression {
        var parser = Parser(tokens: tokenize(text), text: text)
        // The tree is walked recursively (matching, printing, freeing): its size and depth stay small.
        if parser.tokens.count > maximumTokens {
            throw parser.error(
                "more than \(maximumTokens) words and parentheses; a tag filter that long is not one a person wrote",
                at: parser.tokens[maximumTokens].column)
        }
        let expression = try parser.parseOr()
        if parser.position < parser.tokens.count {
            throw parser.error(
                "unexpected '\(parser.tokens[parser.position].text)'", at: parser.tokens[parser.position].column)
        }
        return expression
    }

    static let maximumTokens = 1000
    static let maximumDepth = 32

    struct Token {
        var text: String
        var column: Int
    }

    static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var current = ""
        var start = 1
        for (offset, character) in text.enumerated() {
            if character == "(" || character == ")" || character == " " {
                if !current.isEmpty { tokens.append(Token(text: current, column: start)) }
                current = ""
                if character != " " { tokens.append(Token(text: String(character), column: offset + 1)) }
                start = offset + 2
            } else {
                if current.isEmpty { start = offset + 1 }
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(Token(text: current, column: start)) }
        return tokens
    }

    struct Parser {
        let tokens: [Token]
        let text: String
        var position = 0
        /// The `not`s and parentheses around the token being read.
        var depth = 0

        func error(_ message: String, at column: Int) -> Diagnostic {
            let shown = text.count > 80 ? "\(text.prefix(80))…" : text
            return Diagnostic("--tags '\(shown)': column \(column): \(message)", at: nil)
        }

        mutating func parseOr() throws(Diagnostic) -> TagExpression {
            var left = try parseAnd()
            while position < tokens.count, tokens[position].text == "or" {
                position += 1
                left = .or(left, try parseAnd())
            }
            return left
        }

        mutating func parseAnd() throws(Diagnostic) -> TagExpression {
            var left = try parseNot()
            while position < tokens.count, tokens[position].text == "and" {
                position += 1
                left = .and(left, try parseNot())
            }
            return left
        }

        mutating func parseNot() throws(Diagnostic) -> TagExpression {
            guard position < tokens.count else { throw error("expected a tag", at: text.count + 1) }
            let token = tokens[position]
            if token.text == "not" || token.text == "(" {
                guard depth < TagExpression.maximumDepth else {
                    throw error("nested more than \(TagExpression.maximumDepth) deep", at: token.column)
                }
                depth += 1
            }
            defer { if token.text == "not" || token.text == "(" { depth -= 1 } }
            if token.text == "not" {
                position += 1
                return .not(try parseNot())
            }
            if token.text == "(" {
                position += 1
                let inner = try parseOr()
                guard position < tokens.count, tokens[position].text == ")" else {
                    throw error(
                        "expected ')' to close '(' at column \(token.column)",
                        at: position < tokens.count ? tokens[position].column : text.count + 1)
                }
                position += 1
                return inner
            }
            guard !["and", "or", ")"].contains(token.text) else {
                throw error("expected a tag, found '\(token.text)'", at: token.column)
            }
            position += 1
            return .tag(token.text)
        }
    }
}
