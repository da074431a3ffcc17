import Testing

@testable import CryptoVectors

@Suite("The located JSON reader")
struct LocatedJSONTests {
    static func parse(_ text: String) throws(TextSyntaxError) -> LocatedJSON {
        try LocatedJSONReader.parse(Array(text.utf8))
    }

    static func failure(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return "\(error.position.line):\(error.position.column): \(error.message)"
        }
    }

    @Test("Values keep the line and column where they start; columns count characters, not bytes")
    func positions() throws {
        let json = try Self.parse("{\n  \"a\": [1, -2.5e3, true],\n  \"é\": \"x\",\n  \"b\": null\n}")
        #expect(json.position == TextPosition(line: 1, column: 1))
        let array = try #require(json["a"])
        #expect(array.position == TextPosition(line: 2, column: 8))
        guard case .array(let elements) = array.value, case .number(let number) = elements[1].value else {
            Issue.record("not an array of numbers")
            return
        }
        #expect(number == "-2.5e3")
        #expect(elements[2].position == TextPosition(line: 2, column: 20))
        #expect(json["b"]?.position == TextPosition(line: 4, column: 8))
        #expect(json["é"]?.position == TextPosition(line: 3, column: 8))
    }

    @Test("Escapes, surrogate pairs and a byte-order mark")
    func strings() throws {
        let json = try LocatedJSONReader.parse([0xEF, 0xBB, 0xBF] + Array(#"["a\"b\\\/\n\u00e9\ud83d\ude00"]"#.utf8))
        guard case .array(let elements) = json.value, case .string(let text, let plain) = elements[0].value else {
            Issue.record("not an array of strings")
            return
        }
        #expect(text == "a\"b\\/\né😀")
        #expect(!plain)
    }

    @Test(
        "Syntax errors are located",
        arguments: [
            ("", "1:1: a JSON value was expected, the file ends"),
            ("{\"a\": 1,}", "1:9: a member name in double quotes was expected, found '}'"),
            ("[1 2]", "1:4: ',' or ']' was expected, found '2'"),
            ("{\"a\" 1}", "1:6: ':' was expected after the member name, found '1'"),
            ("[01]", "1:2: a number must not start with 0 followed by more digits"),
            ("[1.]", "1:4: a decimal point must be followed by digits"),
            ("[-]", "1:2: a number needs digits"),
            ("[tru]", "1:2: 'true' was expected"),
            ("[\"a\tb\"]", "1:4: a control character (0x9) inside a string must be escaped"),
            ("[\"\\x\"]", "1:3: '\\x' is not a JSON escape"),
            ("[\"\\u12\"]", "1:3: \\u needs four hex digits"),
            ("[\"\\ud800\"]", "1:3: a high surrogate \\u escape is not followed by a low one"),
            ("[\"\\udc00\"]", "1:3: a lone low surrogate \\u escape is not a character"),
            ("[\"abc", "1:2: the string is not closed: the file ends"),
            ("{\"a\": [1, 2", "1:12: the array is not closed: the file ends"),
            ("{\"a\": 1} x", "1:10: unexpected 'x' after the end of the JSON value"),
            ("{\"k\": 1,\n \"k\": 2}", "2:2: duplicate key \"k\" (first at line 1, column 2)"),
        ])
    func errors(text: String, message: String) {
        #expect(Self.failure(text) == message)
    }

    @Test("Nesting deeper than the limit is an error, not a stack overflow")
    func depth() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(Self.failure(deep) == "1:65: JSON nested deeper than 64 levels")
        let fine = String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
        #expect(Self.failure(fine) == nil)
    }
}
