import YAMLSource

/// How one case came out.
public enum CaseOutcome: Sendable, Equatable {
    case passed
    case failed(String)
    /// An "acceptable" case: it passes either way; what happened is kept for the verbose listing.
    case acceptable(String)

    /// Judges a verdict against what the file claims; a case that names its error must be refused with that one.
    static func judge(_ expectation: VectorExpectation, _ verdict: CheckVerdict, error expected: String? = nil)
        -> CaseOutcome
    {
        switch (expectation, verdict) {
        case (.invalid, .rejected(let reason, let code)):
            guard let expected, code != expected else { return .passed }
            return .failed("refused, but not with \(expected): \(reason)")
        case (.valid, .accepted): return .passed
        case (.valid, .rejected(let reason, _)): return .failed(reason)
        case (.invalid, .accepted): return .failed("accepted, but the file marks this case invalid")
        case (.acceptable, .accepted): return .acceptable("accepted")
        case (.acceptable, .rejected(let reason, _)): return .acceptable("refused: \(reason)")
        }
    }
}

public struct CaseResult: Sendable {
    public let vectorCase: VectorCase
    public let outcome: CaseOutcome
}

/// The results of one file in one mode.
public struct FileResult: Sendable {
    public let path: String
    /// "" for the known-answer run; " (on the card)" and the like for card runs.
    public let label: String
    public let results: [CaseResult]

    public var passed: Int { self.results.filter { $0.outcome == .passed }.count }
    public var failed: Int { self.results.filter { if case .failed = $0.outcome { true } else { false } }.count }
    public var acceptable: Int {
        self.results.filter { if case .acceptable = $0.outcome { true } else { false } }.count
    }
}

/// Runs every case of a file against CardCrypto.
public func runKnownAnswers(_ file: VectorFile) -> FileResult {
    FileResult(
        path: file.path, label: "",
        results: file.cases.map {
            CaseResult(vectorCase: $0, outcome: .judge($0.expectation, $0.check.run(), error: $0.expectedError))
        })
}

/// The report as lines of text: one line per file with its counts, a line per failure with its place, and the
/// closing `N passed, M failed` a pipeline reads. Acceptable cases are counted on a line of their own.
public func renderReport(_ files: [FileResult], verbose: Bool = false) -> [String] {
    var lines: [String] = []
    for file in files {
        var counts = "\(file.passed) passed, \(file.failed) failed"
        if file.acceptable > 0 { counts += ", \(file.acceptable) acceptable" }
        lines.append("\(file.path)\(file.label): \(counts)")
        for result in file.results {
            let place = "\(result.vectorCase.location): \(result.vectorCase.name)"
            let comment = result.vectorCase.comment.isEmpty ? "" : " (\(result.vectorCase.comment))"
            switch result.outcome {
            case .failed(let reason): lines.append("  FAIL \(place)\(comment): \(reason)")
            case .passed where verbose: lines.append("  PASS \(place)\(comment)")
            case .acceptable(let what) where verbose: lines.append("  ACCEPTABLE \(place)\(comment): \(what)")
            default: break
            }
        }
    }
    let passed = files.reduce(0) { $0 + $1.passed }
    let failed = files.reduce(0) { $0 + $1.failed }
    let acceptable = files.reduce(0) { $0 + $1.acceptable }
    if acceptable > 0 {
        lines.append("\(acceptable) acceptable (either outcome is allowed; not counted below)")
    }
    lines.append("\(passed) passed, \(failed) failed")
    return lines
}
