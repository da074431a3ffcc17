// CryptoVectors: known-answer vectors run against CardCrypto and the emulated card — our own documented format
// (docs/vectors.md), NIST CAVP `.rsp` files and Wycheproof JSON, each parsed with file:line:column errors — and the
// card-command runs that have a card sign published messages through COMPUTE DIGITAL SIGNATURE.
import CardCrypto
import YAMLSource

/// What a vector file claims about one case.
public enum VectorExpectation: String, Sendable, Hashable {
    /// The operation must give the published answer (or the signature, tag, cryptogram must be accepted).
    case valid
    /// The operation must refuse it (a wrong tag, a malformed signature).
    case invalid
    /// Either outcome is allowed (Wycheproof's "acceptable"); such cases are counted apart.
    case acceptable
}

/// One test case from a vector file: where it is, what it claims, and what to run.
public struct VectorCase: Sendable {
    public let location: SourceLocation
    /// How the file names the case: "COUNT 3 [DECRYPT]", "tcId 17", "ICAO 9303-11 D.3".
    public let name: String
    public let expectation: VectorExpectation
    /// Free text from the file (Wycheproof's comment), shown with a failure.
    public let comment: String
    /// For an invalid case, the CryptoError code it must be refused with (`macMismatch`), if the file names one.
    public let expectedError: String?
    let check: VectorCheck

    init(
        location: SourceLocation, name: String, expectation: VectorExpectation, comment: String,
        expectedError: String? = nil, check: VectorCheck
    ) {
        self.location = location
        self.name = name
        self.expectation = expectation
        self.comment = comment
        self.expectedError = expectedError
        self.check = check
    }
}

/// A parsed vector file, ready to run.
public struct VectorFile: Sendable {
    public enum Format: String, Sendable {
        case knownAnswer = "mynaconf known-answer"
        case cavp = "NIST CAVP"
        case wycheproof = "Wycheproof"
    }

    public let path: String
    public let format: Format
    public let cases: [VectorCase]

    /// Reads and parses one file; the format follows the extension (`.kat`, `.rsp`, `.json`).
    /// - Throws: a ``Diagnostic`` with the file, line and column of the first problem.
    public static func load(path: String) throws(Diagnostic) -> VectorFile {
        try self.parse(VectorSource.read(path))
    }

    /// Parses bytes as the file `path` would be parsed (the name picks the format): the entry point for fuzzing.
    public static func parse(_ bytes: [UInt8], path: String) throws(Diagnostic) -> VectorFile {
        try self.parse(VectorSource.checked(bytes, path: path))
    }

    private static func parse(_ source: VectorSource) throws(Diagnostic) -> VectorFile {
        let path = source.path
        switch VectorFileKind(path: path) {
        case .knownAnswer:
            return VectorFile(path: path, format: .knownAnswer, cases: try KnownAnswerParser.parse(source))
        case .cavp:
            return VectorFile(path: path, format: .cavp, cases: try CAVPParser.parse(source))
        case .wycheproof:
            return VectorFile(path: path, format: .wycheproof, cases: try WycheproofParser.parse(source))
        case nil:
            throw Diagnostic(
                "not a vector file mynaconf reads: expected .kat (docs/vectors.md), .rsp (NIST CAVP) or .json "
                    + "(Wycheproof)", at: SourceLocation(file: path, line: 1, column: 1))
        }
    }
}

enum VectorFileKind {
    case knownAnswer, cavp, wycheproof

    init?(path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".kat") {
            self = .knownAnswer
        } else if lower.hasSuffix(".rsp") {
            self = .cavp
        } else if lower.hasSuffix(".json") {
            self = .wycheproof
        } else {
            return nil
        }
    }
}
