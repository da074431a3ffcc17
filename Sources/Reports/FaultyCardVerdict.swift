import Runner

/// A run on a deliberately faulty card: the requirements its profile says the suite must fail (`expected_failures`)
/// against the requirements that failed, so whoever runs it sees at once whether the suite caught the fault.
public struct FaultyCardVerdict: Sendable, Hashable {
    public var profile: String
    public var expected: [String]
    /// Every requirement of a failed (or errored) scenario, sorted; a failed scenario without requirements counts
    /// by its ID.
    public var failed: [String]
    /// Failed scenarios none of whose requirements is expected, by requirement (or scenario ID), sorted.
    public var unexpected: [String]

    public init(profile: String, expected: [String], run: RunResult) {
        self.profile = profile
        self.expected = expected
        var failed = Set<String>()
        var unexpected = Set<String>()
        for scenario in run.scenarios {
            switch scenario.outcome {
            case .failed, .error: break
            case .passed, .skipped: continue
            }
            let names = scenario.requirements.isEmpty ? [scenario.id] : scenario.requirements
            failed.formUnion(names)
            if !names.contains(where: expected.contains) { unexpected.formUnion(names) }
        }
        self.failed = failed.sorted()
        self.unexpected = unexpected.sorted()
    }

    /// Expected requirements no scenario failed: the suite did not catch that part of the fault.
    public var missed: [String] { expected.filter { !failed.contains($0) } }

    /// A profile that declares nothing to fail is never "caught as declared": there is nothing to compare.
    public var caughtAsDeclared: Bool { !expected.isEmpty && missed.isEmpty && unexpected.isEmpty }

    /// One line: `faulty on purpose (faulty/x): expected to fail A, B; failed A, B — caught as declared`.
    public var line: String {
        let failedList = failed.isEmpty ? "nothing" : failed.joined(separator: ", ")
        guard !expected.isEmpty else {
            return
                "Card profile \(profile) is faulty on purpose but declares no expected_failures; failed \(failedList)"
        }
        var text =
            "Card profile \(profile) is faulty on purpose: expected to fail \(expected.joined(separator: ", ")); "
            + "failed \(failedList)"
        if caughtAsDeclared { return text + " — caught as declared" }
        var problems: [String] = []
        if !missed.isEmpty { problems.append("not caught: \(missed.joined(separator: ", "))") }
        if !unexpected.isEmpty { problems.append("failed outside the list: \(unexpected.joined(separator: ", "))") }
        text += " — NOT as declared (" + problems.joined(separator: "; ") + ")"
        return text
    }
}
