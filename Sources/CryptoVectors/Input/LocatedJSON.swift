/// A JSON value with the line and column where it starts, so that a problem in a Wycheproof file can be reported
/// as `file:line:column`. Foundation's JSONSerialization keeps no positions, hence this small RFC 8259 reader.
struct LocatedJSON: Sendable {
    indirect enum Value: Sendable {
        case object([Member])
        case array([LocatedJSON])
        /// The text, and whether it was written without escapes (then character *i* of the text is at column + 1 + i).
        case string(String, plain: Bool)
        /// The number as written; callers convert it to what they need.
        case number(String)
        case bool(Bool)
        case null
    }

    struct Member: Sendable {
        let key: String
        let keyPosition: TextPosition
        let value: LocatedJSON
    }

    let value: Value
    let position: TextPosition

    /// "an object", "a string": for messages about what was found where something else was expected.
    var kind: String {
        switch self.value {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// The member `key` of an object, if this is an object that has one.
    subscript(key: String) -> LocatedJSON? {
        guard case .object(let members) = self.value else { return nil }
        return members.first { $0.key == key }?.value
    }
}

/// A 1-based line and column; columns count characters (UTF-8 continuation bytes do not count).
struct TextPosition: Sendable, Hashable {
    var line: Int
    var column: Int
}

/// A syntax error: what is wrong, and where.
struct TextSyntaxError: Error, Sendable {
    let message: String
    let position: TextPosition
}

/// Reads JSON text (RFC 8259) from bytes. Strict: no comments, no trailing commas, no duplicate keys (a duplicate in a
/// vector file would make one of two answers silently win), no control characters in strings, nesting at most
/// `maximumDepth` deep so hostile input cannot exhaust the stack.
struct LocatedJSONReader {
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func parse(_ bytes: [UInt8]) throws(TextSyntaxError) -> LocatedJSON {
        var reader = LocatedJSONReader(bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            reader.index = 3  // a UTF-8 byte-order mark is tolerated, as RFC 8259 §8.1 allows
        }
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        guard reader.index == bytes.count else {
            throw reader.error("unexpected \(reader.describeCurrent()) after the end of the JSON value")
        }
        return value
    }

    private var position: TextPosition { TextPosition(line: self.line, column: self.column) }

    private func error(_ message: String, at position: TextPosition? = nil) -> TextSyntaxError {
        TextSyntaxError(message: message, position: position ?? self.position)
    }

    private func describeCurrent() -> String {
        guard self.index < self.bytes.count else { return "end of file" }
        let byte = self.bytes[self.index]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private mutating func advance() {
        let byte = self.bytes[self.index]
        self.index += 1
        if byte == 0x0A {
            self.line += 1
            self.column = 1
        } else if byte & 0xC0 != 0x80 {
            self.column += 1
        }
    }

    private mutating func skipWhitespace() {
        while self.index < self.bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(self.bytes[self.index]) {
            self.advance()
        }
    }

    private mutating func parseValue(depth: Int) throws(TextSyntaxError) -> LocatedJSON {
        guard depth < Self.maximumDepth else {
            throw self.error("JSON nested deeper than \(Self.maximumDepth) levels")
        }
        let start = self.position
        guard self.index < self.bytes.count else { throw self.error("a JSON value was expected, the file ends") }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return LocatedJSON(value: try self.parseObject(depth: depth), position: start)
        case UInt8(ascii: "["): return LocatedJSON(value: try self.parseArray(depth: depth), position: start)
        case UInt8(ascii: "\""):
            let (text, plain) = try self.parseString()
            return LocatedJSON(value: .string(text, plain: plain), position: start)
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return LocatedJSON(value: .bool(true), position: start)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return LocatedJSON(value: .bool(false), position: start)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return LocatedJSON(value: .null, position: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return LocatedJSON(value: .number(try self.parseNumber()), position: start)
        default:
            throw self.error("a JSON value was expected, found \(self.describeCurrent())")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(TextSyntaxError) {
        let start = self.position
        for expected in literal.utf8 {
            guard self.index < self.bytes.count, self.bytes[self.index] == expected else {
                throw self.error("'\(literal)' was expected", at: start)
            }
            self.advance()
        }
    }

    private mutating func parseObject(depth: Int) throws(TextSyntaxError) -> LocatedJSON.Value {
        self.advance()  // {
        var members: [LocatedJSON.Member] = []
        var seen: [String: TextPosition] = [:]
        self.skipWhitespace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
            self.advance()
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            let keyPosition = self.position
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else {
                throw self.error("a member name in double quotes was expected, found \(self.describeCurrent())")
            }
            let (key, _) = try self.parseString()
            if let first = seen[key] {
                throw self.error(
                    "duplicate key \"\(key)\" (first at line \(first.line), column \(first.column))", at: keyPosition)
            }
            seen[key] = keyPosition
            self.skipWhitespace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else {
                throw self.error("':' was expected after the member name, found \(self.describeCurrent())")
            }
            self.advance()
            self.skipWhitespace()
            let value = try self.parseValue(depth: depth + 1)
            members.append(LocatedJSON.Member(key: key, keyPosition: keyPosition, value: value))
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw self.error("the object is not closed: the file ends") }
            switch self.bytes[self.index] {
            case UInt8(ascii: ","): self.advance()
            case UInt8(ascii: "}"):
                self.advance()
                return .object(members)
            default: throw self.error("',' or '}' was expected, found \(self.describeCurrent())")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(TextSyntaxError) -> LocatedJSON.Value {
        self.advance()  // [
        var elements: [LocatedJSON] = []
        self.skipWhitespace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
            self.advance()
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.parseValue(depth: depth + 1))
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw self.error("the array is not closed: the file ends") }
            switch self.bytes[self.index] {
            case UInt8(ascii: ","): self.advance()
            case UInt8(ascii: "]"):
                self.advance()
                return .array(elements)
            default: throw self.error("',' or ']' was expected, found \(self.describeCurrent())")
            }
        }
    }

    private mutating func parseString() throws(TextSyntaxError) -> (String, plain: Bool) {
        let start = self.position
        self.advance()  // "
        var scalars = String.UnicodeScalarView()
        var plain = true
        var run: [UInt8] = []
        while true {
            guard self.index < self.bytes.count else {
                throw self.error("the string is not closed: the file ends", at: start)
            }
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                self.advance()
                return (String(scalars), plain)
            case UInt8(ascii: "\\"):
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll()
                plain = false
                scalars.append(try self.parseEscape())
            case 0x00..<0x20:
                throw self.error("a control character (0x\(String(byte, radix: 16))) inside a string must be escaped")
            default:
                run.append(byte)
                self.advance()
            }
        }
    }

    private mutating func parseEscape() throws(TextSyntaxError) -> Unicode.Scalar {
        let start = self.position
        self.advance()  // backslash
        guard self.index < self.bytes.count else { throw self.error("the escape is cut off by the end of the file") }
        let byte = self.bytes[self.index]
        self.advance()
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let first = try self.parseHex4(escapeStart: start)
            if (0xD800..<0xDC00).contains(first) {
                guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                    self.bytes[self.index + 1] == UInt8(ascii: "u")
                else { throw self.error("a high surrogate \\u escape is not followed by a low one", at: start) }
                self.advance()
                self.advance()
                let second = try self.parseHex4(escapeStart: start)
                guard (0xDC00..<0xE000).contains(second) else {
                    throw self.error("a high surrogate \\u escape is not followed by a low one", at: start)
                }
                return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(first) else {
                throw self.error("a lone low surrogate \\u escape is not a character", at: start)
            }
            return scalar
        default:
            throw self.error("'\\\(Character(Unicode.Scalar(byte)))' is not a JSON escape", at: start)
        }
    }

    private mutating func parseHex4(escapeStart: TextPosition) throws(TextSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard self.index < self.bytes.count, let digit = hexValue(self.bytes[self.index]) else {
                throw self.error("\\u needs four hex digits", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            self.advance()
        }
        return value
    }

    private mutating func parseNumber() throws(TextSyntaxError) -> String {
        let start = self.index
        let startPosition = self.position
        func digits(_ reader: inout LocatedJSONReader) -> Int {
            var count = 0
            while reader.index < reader.bytes.count, (0x30...0x39).contains(reader.bytes[reader.index]) {
                reader.advance()
                count += 1
            }
            return count
        }
        if self.bytes[self.index] == UInt8(ascii: "-") { self.advance() }
        let leadingZero = self.index < self.bytes.count && self.bytes[self.index] == UInt8(ascii: "0")
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw self.error("a number needs digits", at: startPosition) }
        guard !(leadingZero && integerDigits > 1) else {
            throw self.error("a number must not start with 0 followed by more digits", at: startPosition)
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
            self.advance()
            guard digits(&self) > 0 else { throw self.error("a decimal point must be followed by digits") }
        }
        if self.index < self.bytes.count, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
            self.advance()
            if self.index < self.bytes.count, [UInt8(ascii: "+"), UInt8(ascii: "-")].contains(self.bytes[self.index]) {
                self.advance()
            }
            guard digits(&self) > 0 else { throw self.error("an exponent must have digits") }
        }
        return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
    }
}

/// The value of one hex digit, or nil.
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: byte - 0x30
    case 0x41...0x46: byte - 0x41 + 10
    case 0x61...0x66: byte - 0x61 + 10
    default: nil
    }
}
