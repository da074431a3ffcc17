import APDU
import CardCrypto
import Foundation
import Scenario
import Transport

/// Runs one scenario's steps on a channel: sends the APDUs, checks every expectation, keeps the transcript
/// (credentials masked) and the timings. A failed expectation ends the scenario; so does a channel error.
public struct ScenarioExecution {
    let channel: any CardChannel
    var evaluator: TemplateEvaluator
    /// The date `valid_on: as_of` means: the card profile's on the emulator, today on a real card.
    let asOf: CalendarDate
    let isCancelled: @Sendable () -> Bool
    /// Set when the card belongs to a person: the PIN guard and personal-data masking apply.
    let realCard: RealCardPolicy?
    var transcript: [TranscriptEntry] = []
    var timings: [StepTiming] = []
    /// The folder of the scenario being run: files a scenario names (a CRL) are found relative to it.
    var scenarioDirectory = "."
    /// What the commands sent so far selected, to know whose data a READ returns.
    var selectedApplication: [UInt8]?
    var selectedFile: UInt16?
    /// True while the last response was personal data that a report must not show.
    var lastResponseIsPersonal = false
    var scenarioMaySpendTries = false
    /// The open secure-messaging session (after `mutual_authenticate`), how later steps use it, and the last
    /// protected command as sent, for `replay: previous`.
    var secureSession: SecureMessagingHostSession?
    var protectionMode = ProtectionMode.all
    var lastProtectedCommand: [UInt8]?
    /// The session keys of every authentication so far and the step that opened each, for `session_keys: fresh`.
    var sessionKeysSeen: [SecureMessagingKeys: String] = [:]
    /// Round trips of the protected READs of the step being performed, timed as one entry per step.
    var protectedReadSamples: [Duration] = []
    /// Says which exchange of a multi-command step (`install_ap`) gave the response a failure shows.
    var responseNote: String?
    /// The cryptogram of the last protected response opened, for `capture_cryptogram`.
    var lastCryptogram: [UInt8]?

    public init(
        channel: any CardChannel, variables: VariableStore, asOf: CalendarDate,
        random: any RandomSource = SystemRandomSource(), realCard: RealCardPolicy? = nil,
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) {
        self.channel = channel
        self.evaluator = TemplateEvaluator(store: variables, random: random)
        self.asOf = asOf
        self.realCard = realCard
        self.isCancelled = isCancelled
    }

    /// Why a step stopped the scenario.
    struct StepFailure: Error {
        var failure: ScenarioFailure
        /// True when the harness or the channel failed, not the card's answer.
        var isError: Bool
    }

    public mutating func run(_ scenario: Scenario) async -> ScenarioResult {
        let clock = ContinuousClock()
        let start = clock.now
        var outcome = Outcome.passed
        scenarioDirectory = (scenario.file as NSString).deletingLastPathComponent
        let missing = scenario.neededEnvironment.filter { (evaluator.store.environment[$0] ?? "").isEmpty }
        if !missing.isEmpty {
            let names = missing.joined(separator: ", ")
            outcome = .skipped(reason: "needs the environment variable \(names), which is not set")
            return ScenarioResult(
                id: scenario.id, title: scenario.title, requirements: scenario.requirements, tags: scenario.tags,
                suite: scenario.suite, file: scenario.file, outcome: outcome, duration: clock.now - start,
                transcript: [], timings: [])
        }
        scenarioMaySpendTries = scenario.destructive
        do {
            for step in scenario.steps {
                _ = try await perform(step)
            }
        } catch {
            outcome = error.isError ? .error(error.failure) : .failed(error.failure)
        }
        return ScenarioResult(
            id: scenario.id, title: scenario.title, requirements: scenario.requirements, tags: scenario.tags,
            suite: scenario.suite, file: scenario.file, outcome: outcome, duration: clock.now - start,
            transcript: transcript, timings: timings)
    }

    /// Performs one step and returns how long the card took over it (the APDU round trips, not the harness's work).
    mutating func perform(_ step: Step) async throws(StepFailure) -> Duration {
        if isCancelled() {
            throw StepFailure(failure: failure("the run was interrupted before this step", step), isError: true)
        }
        var response = ResponseAPDU(statusWord: .success)
        var elapsed = Duration.zero
        var answered = true
        lastCryptogram = nil
        switch step.action {
        case .apdu(let template):
            (response, elapsed) = try await send(try hex(template, step), step)
        case .selectApplication(let aid):
            let aidBytes = try hex(aid, step).bytes
            // The session belongs to the selected application: selecting one (even the same) leaves it.
            endSession()
            (response, elapsed) = try await send(command(0x00, 0xA4, 0x04, 0x0C, data: aidBytes), step)
        case .selectFile(let fid):
            (response, elapsed) = try await send(command(0x00, 0xA4, 0x02, 0x0C, data: try hex(fid, step).bytes), step)
        case .verify(let ef, let pin):
            elapsed += try await selectFirst(ef, step)
            var apdu = EvaluatedBytes()
            if let pin {
                let value = try text(pin, step)
                apdu.append([0x00, 0x20, 0x00, 0x80, UInt8(truncatingIfNeeded: value.bytes.count)], secret: false)
                apdu.append(value.bytes, secret: true)
            } else {
                apdu.append([0x00, 0x20, 0x00, 0x80], secret: false)
            }
            let (answer, time) = try await send(apdu, step)
            (response, elapsed) = (answer, elapsed + time)
        case .changePIN(let ef, let newPIN):
            elapsed += try await selectFirst(ef, step)
            let value = try text(newPIN, step)
            var apdu = EvaluatedBytes()
            apdu.append([0x00, 0x24, 0x01, 0x80, UInt8(truncatingIfNeeded: value.bytes.count)], secret: false)
            apdu.append(value.bytes, secret: true)
            let (answer, time) = try await send(apdu, step)
            (response, elapsed) = (answer, elapsed + time)
        case .read(let ef, let pattern):
            elapsed += try await selectFirst(ef, step)
            let (answer, time) = try await read(pattern, step)
            (response, elapsed) = (answer, elapsed + time)
        case .readRecord(let record, let sfi):
            let p2 = UInt8((sfi ?? 0) << 3 | 0x04)
            (response, elapsed) = try await send(command(0x00, 0xB2, UInt8(record), p2, le: 0), step)
        case .sign(let key, let data):
            elapsed += try await selectFirst(key, step)
            let input = try hex(data, step)
            var apdu = EvaluatedBytes()
            apdu.append([0x80, 0x2A, 0x00, 0x80, UInt8(truncatingIfNeeded: input.bytes.count)], secret: false)
            apdu.append(input.bytes, secret: !input.secret.isEmpty)
            apdu.append([0x00], secret: false)
            let (answer, time) = try await send(apdu, step)
            (response, elapsed) = (answer, elapsed + time)
        case .getChallenge(let length):
            (response, elapsed) = try await send(command(0x00, 0x84, 0x00, 0x00, le: length & 0xFF), step)
        case .reset, .powerCycle:
            endSession()
            // The ATR stands in for response data, so `expect: { data: 3B E0 … }` checks it.
            let (atr, time) = try await reset(step)
            (response, elapsed) = (ResponseAPDU(data: atr, statusWord: .success), time)
        case .wait(let milliseconds):
            try? await Task.sleep(for: .milliseconds(milliseconds))
            answered = false
        case .mutualAuthenticate(let setup):
            (response, elapsed) = try await authenticate(
                seed: setup.key, suite: setup.suite, reference: setup.reference, step)
            protectionMode = setup.protect
            addTiming("mutual_authenticate @ \(place(step))", elapsed)
        case .installAP(var spec):
            spec.session = withCardBytes(spec.session)
            (response, elapsed) = try await install(spec, step)
        case .deleteAP(let given, let aid):
            let session = withCardBytes(given)
            (response, elapsed) = try await manage(session, step) { (execution) throws(StepFailure) in
                let aidBytes = try execution.hex(aid, step).bytes
                return execution.command(0x80, session.commands.delete, 0x00, 0x00, data: Self.aidObject(aidBytes))
            }
        case .moveOut(let given):
            let session = withCardBytes(given)
            (response, elapsed) = try await manage(session, step) { (execution) throws(StepFailure) in
                execution.command(0x80, session.commands.moveOut, 0x00, 0x00)
            }
        case .repeatSteps(let times, let steps):
            var samples: [Duration] = []
            for _ in 0..<times {
                var iteration = Duration.zero
                for inner in steps { iteration += try await perform(inner) }
                samples.append(iteration)
            }
            let timing = StepTiming(
                name: "repeat ×\(times) @ \(place(step))", samples: samples,
                maxBudget: step.expect.maxMilliseconds.map { .milliseconds($0) },
                p95Budget: step.expect.p95Milliseconds.map { .milliseconds($0) })
            timings.append(timing)
            try checkBudgets(timing, step)
            return samples.reduce(.zero, +)
        }
        if !protectedReadSamples.isEmpty {
            for sample in protectedReadSamples { addTiming("protected read @ \(place(step))", sample) }
            protectedReadSamples = []
        }
        if answered {
            try check(step.expect, response, step)
            responseNote = nil
            if let name = step.capture { evaluator.store.captures[name] = response.data }
            try checkCryptogram(step)
        }
        if case .installAP(let spec) = step.action { try checkPhaseBudgets(spec, step) }
        if let budget = step.expect.maxMilliseconds {
            let timing = StepTiming(
                name: "\(step.action.name) @ \(place(step))", samples: [elapsed], maxBudget: .milliseconds(budget))
            timings.append(timing)
            try checkBudgets(timing, step)
        }
        return elapsed
    }

    // MARK: - Sending

    func command(_ cla: UInt8, _ ins: UInt8, _ p1: UInt8, _ p2: UInt8, data: [UInt8] = [], le: Int? = nil)
        -> EvaluatedBytes
    {
        var apdu = EvaluatedBytes()
        apdu.append([cla, ins, p1, p2], secret: false)
        if !data.isEmpty { apdu.append([UInt8(truncatingIfNeeded: data.count)] + data, secret: false) }
        if let le { apdu.append([UInt8(truncatingIfNeeded: le)], secret: false) }
        return apdu
    }

    mutating func send(_ apdu: EvaluatedBytes, _ step: Step, mode: SendMode = .asStepSays) async throws(StepFailure)
        -> (ResponseAPDU, Duration)
    {
        if try shouldProtect(step, mode: mode) { return try await sendProtected(apdu, step) }
        let command = try? CommandAPDU(bytes: apdu.bytes)
        if realCard != nil, !scenarioMaySpendTries, let command, command.cla & 0x80 == 0, command.ins == 0x20,
            !command.data.isEmpty
        {
            try await guardTries(p1: command.p1, p2: command.p2, step)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let raw: [UInt8]
        do {
            raw = try await channel.transmit(apdu.bytes)
        } catch {
            transcript.append(
                TranscriptEntry(
                    command: Self.masked(apdu), response: "(no answer: \(error))", duration: clock.now - start,
                    step: place(step)))
            throw StepFailure(failure: failure("the card did not answer: \(error)", step), isError: true)
        }
        let elapsed = clock.now - start
        track(command, answer: raw)
        lastResponseIsPersonal = false
        var shown = Hex.encode(raw, separator: " ")
        if let command, [0xB0, 0xB1, 0xB2].contains(command.ins), raw.count > 2, let policy = realCard,
            !policy.showPersonalData, RealCardPolicy.isPersonal(application: selectedApplication, file: selectedFile)
        {
            lastResponseIsPersonal = true
            shown = "******** (\(raw.count - 2) bytes of personal data) " + Hex.encode(raw.suffix(2), separator: " ")
        }
        transcript.append(
            TranscriptEntry(command: Self.masked(apdu), response: shown, duration: elapsed, step: place(step)))
        guard let response = try? ResponseAPDU(bytes: raw) else {
            throw StepFailure(
                failure: failure("the card answered \(raw.count) byte(s), less than a status word", step), isError: true
            )
        }
        try checkTriesSpent(command, apdu, response.statusWord, step)
        return (response, elapsed)
    }

    /// A scenario that spends a PIN try must say so (`destructive: true`): on a real card it is refused without
    /// --allow-destructive, and an unmarked one would spend the holder's tries unasked. A VERIFY or CHANGE
    /// REFERENCE DATA with a value written in the scenario that the card answers `63 Cx` has spent one, on the
    /// emulator or a card, so the mislabel shows in CI before the scenario meets a real card. A value from the card
    /// profile or the environment is meant to be right: if the card refuses it, the step's own expectation says so.
    func checkTriesSpent(_ command: CommandAPDU?, _ sent: EvaluatedBytes, _ status: StatusWord, _ step: Step)
        throws(StepFailure)
    {
        // The named steps mask every PIN they send, so whether it came from a variable is in the step as written.
        let fromVariables: Bool
        switch step.action {
        case .verify(_, let pin): fromVariables = pin?.hasExpressions ?? false
        case .changePIN(_, let newPIN): fromVariables = newPIN.hasExpressions
        default: fromVariables = sent.hasSecret
        }
        guard !scenarioMaySpendTries, !fromVariables, let command, [0x20, 0x24].contains(command.ins),
            !command.data.isEmpty, status.sw1 == 0x63, status.sw2 & 0xF0 == 0xC0
        else { return }
        let name = command.ins == 0x20 ? "VERIFY" : "CHANGE REFERENCE DATA"
        throw StepFailure(
            failure: failure(
                "\(name) spent a PIN try (the card answered \(Hex.encode([status.sw1, status.sw2], separator: " "))), "
                    + "but the scenario is not marked destructive: add `destructive: true`, or a run on a real card "
                    + "spends the holder's tries without --allow-destructive",
                step, expected: "a scenario that spends tries is marked destructive: true",
                actual: Hex.encode([status.sw1, status.sw2])),
            isError: false)
    }

    /// Follows the SELECTs (and READs by short EF identifier) that succeeded, as the card does.
    private mutating func track(_ command: CommandAPDU?, answer: [UInt8]) {
        guard let command, answer.suffix(2) == [0x90, 0x00] else { return }
        switch (command.ins, command.p1) {
        case (0xA4, 0x04):
            selectedApplication = command.data
            selectedFile = nil
        case (0xA4, 0x02) where command.data.count == 2:
            selectedFile = UInt16(command.data[0]) << 8 | UInt16(command.data[1])
        case (0xB0, let p1) where p1 & 0x80 != 0:
            selectedFile = UInt16(p1 & 0x1F)
        default:
            break
        }
    }

    /// Before a VERIFY on a real card: the tries left, read with an empty VERIFY that spends none. When one
    /// wrong value could block the credential, the scenario stops here instead of sending it.
    private mutating func guardTries(p1: UInt8, p2: UInt8, _ step: Step) async throws(StepFailure) {
        let query = command(0x00, 0x20, p1, p2)
        let raw: [UInt8]
        do { raw = try await channel.transmit(query.bytes) } catch {
            throw StepFailure(failure: failure("the card did not answer: \(error)", step), isError: true)
        }
        transcript.append(
            TranscriptEntry(
                command: Self.masked(query), response: Hex.encode(raw, separator: " "), duration: .zero,
                step: place(step)))
        guard let sw = try? ResponseAPDU(bytes: raw).statusWord else { return }
        if sw == .referencedDataNotUsable || sw.triesLeft.map({ $0 <= 1 }) == true {
            let left = sw.triesLeft.map { "\($0) tr\($0 == 1 ? "y" : "ies") left" } ?? "been blocked"
            throw StepFailure(
                failure: failure(
                    "stopped before a PIN step on a real card: the credential has \(left), so one wrong value could block it",
                    step, expected: "at least 2 tries left", actual: Hex.encode([sw.sw1, sw.sw2])),
                isError: true)
        }
    }

    private mutating func reset(_ step: Step) async throws(StepFailure) -> ([UInt8], Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let atr: [UInt8]
        do {
            atr = try await channel.reset()
        } catch {
            throw StepFailure(failure: failure("reset failed: \(error)", step), isError: true)
        }
        let elapsed = clock.now - start
        selectedApplication = nil
        selectedFile = nil
        transcript.append(
            TranscriptEntry(
                command: "RESET", response: "ATR " + Hex.encode(atr, separator: " "), duration: elapsed,
                step: place(step)))
        return (atr, elapsed)
    }

    /// SELECT of the EF a step names before acting on it; anything but 9000 fails the step there.
    private mutating func selectFirst(_ fid: Template?, _ step: Step) async throws(StepFailure) -> Duration {
        guard let fid else { return .zero }
        let (response, elapsed) = try await send(command(0x00, 0xA4, 0x02, 0x0C, data: try hex(fid, step).bytes), step)
        guard response.statusWord == .success else {
            throw StepFailure(
                failure: ScenarioFailure(
                    message: "SELECT of EF \(fid.text) answered \(response.statusWord)", expected: "9000",
                    actual: Hex.encode([response.statusWord.sw1, response.statusWord.sw2]), location: place(step)),
                isError: false)
        }
        return elapsed
    }

    /// Reads the current EF whole, in a client's chunk pattern. The response is the file with the last SW.
    private mutating func read(_ pattern: ReadPattern, _ step: Step) async throws(StepFailure) -> (
        ResponseAPDU, Duration
    ) {
        var content: [UInt8] = []
        var elapsed = Duration.zero
        func readBinary(_ offset: Int, _ le: Int) -> EvaluatedBytes {
            command(0x00, 0xB0, UInt8((offset >> 8) & 0x7F), UInt8(offset & 0xFF), le: le)
        }
        // The whole object's size from its BER-TLV header: 30 82 LL LL for a certificate, FF 20 56 for the text
        // AP's attributes, FF 20 82 LL LL for the card face.
        func derSize(_ header: [UInt8]) -> Int? { Self.tlvSize(header) }
        // One chunk; a status word other than 9000 ends the read with that answer.
        func chunk(_ offset: Int, _ le: Int) async throws(StepFailure) -> ResponseAPDU {
            let (response, time) = try await send(readBinary(offset, le), step)
            elapsed += time
            return response
        }
        switch pattern {
        case .opensc, .jpkiMyna, .jpkiRS, .myNumberMyna:
            let headerLength = [ReadPattern.opensc: 4, .jpkiMyna: 7, .jpkiRS: 7, .myNumberMyna: 8][pattern]!
            let header = try await chunk(0, headerLength)
            guard header.statusWord == .success else { return (header, elapsed) }
            guard let size = derSize(header.data) else {
                throw StepFailure(
                    failure: ScenarioFailure(
                        message:
                            "the \(pattern.rawValue) pattern reads a TLV file: its first bytes do not give a BER-TLV size",
                        expected: "30 82 ?? ?? (or another tag and length)",
                        actual: Hex.encode(header.data, separator: " "),
                        location: place(step)),
                    isError: false)
            }
            // jpki/myna goes on after its header; the others read the file again from offset 0.
            content = pattern == .jpkiMyna ? header.data : []
            let chunkSize = pattern == .myNumberMyna ? 255 : 256
            while content.count < size {
                let remaining = size - content.count
                let le: Int
                switch pattern {
                case .jpkiMyna: le = remaining > 255 ? 256 : remaining
                case .jpkiRS: le = remaining >= 256 ? 256 : size & 0xFF
                default: le = Swift.min(chunkSize, remaining)
                }
                let response = try await chunk(content.count, le)
                guard response.statusWord == .success else {
                    return (ResponseAPDU(data: content, statusWord: response.statusWord), elapsed)
                }
                guard !response.data.isEmpty else {
                    return (ResponseAPDU(data: content, statusWord: response.statusWord), elapsed)
                }
                content += response.data
            }
        case .untilEnd:
            while content.count <= 0x7FFF {
                let response = try await chunk(content.count, 256)
                if response.statusWord == .wrongP1P2 && !content.isEmpty { break }
                guard response.statusWord == .success else {
                    return (ResponseAPDU(data: content, statusWord: response.statusWord), elapsed)
                }
                content += response.data
                if response.data.count < 256 { break }
            }
        }
        return (ResponseAPDU(data: content, statusWord: .success), elapsed)
    }

    /// The size of the BER-TLV object `header` starts with (tag of 1–3 bytes, length of 1–4), or nil.
    static func tlvSize(_ header: [UInt8]) -> Int? {
        guard let first = header.first, first != 0x00, first != 0xFF || header.count > 1 else { return nil }
        var index = 1
        if first & 0x1F == 0x1F {
            while index < header.count, header[index] & 0x80 != 0 { index += 1 }
            index += 1
            guard index <= 3 else { return nil }
        }
        guard index < header.count else { return nil }
        let lengthByte = header[index]
        if lengthByte < 0x80 { return index + 1 + Int(lengthByte) }
        let count = Int(lengthByte & 0x7F)
        guard (1...3).contains(count), index + count < header.count else { return nil }
        let length = header[(index + 1)...(index + count)].reduce(0) { $0 << 8 | Int($1) }
        return index + 1 + count + length
    }

    // MARK: - Templates

    mutating func hex(_ template: Template, _ step: Step) throws(StepFailure) -> EvaluatedBytes {
        do { return try evaluator.hex(template) } catch {
            throw StepFailure(
                failure: ScenarioFailure(
                    message: error.message, expected: "", actual: "", location: "\(error.location)"), isError: true)
        }
    }

    mutating func text(_ template: Template, _ step: Step) throws(StepFailure) -> EvaluatedBytes {
        do { return try evaluator.text(template) } catch {
            throw StepFailure(
                failure: ScenarioFailure(
                    message: error.message, expected: "", actual: "", location: "\(error.location)"), isError: true)
        }
    }

    // MARK: - Expectations

    func place(_ step: Step) -> String { "\(step.location)" }

    func failure(_ message: String, _ step: Step, expected: String = "", actual: String = "") -> ScenarioFailure {
        ScenarioFailure(message: message, expected: expected, actual: actual, location: place(step))
    }

    func checkBudgets(_ timing: StepTiming, _ step: Step) throws(StepFailure) {
        if let budget = timing.maxBudget, timing.maximum > budget {
            throw StepFailure(
                failure: failure(
                    "too slow", step, expected: "at most \(Self.milliseconds(budget))",
                    actual: Self.milliseconds(timing.maximum)), isError: false)
        }
        if let budget = timing.p95Budget, timing.p95 > budget {
            throw StepFailure(
                failure: failure(
                    "95th percentile too slow", step, expected: "p95 at most \(Self.milliseconds(budget))",
                    actual: "p95 \(Self.milliseconds(timing.p95))"), isError: false)
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return String(format: "%.3f ms", value)
    }

    mutating func check(_ expect: Expectation, _ response: ResponseAPDU, _ step: Step) throws(StepFailure) {
        let sw = response.statusWord
        if !expect.statusWords.isEmpty, !expect.statusWords.contains(where: { $0.matches(sw) }) {
            throw StepFailure(
                failure: failure(
                    (responseNote.map { "\($0): " } ?? "") + "unexpected status word \(sw)", step,
                    expected: expect.statusWords.map(\.text).joined(separator: " or "),
                    actual: Hex.encode([sw.sw1, sw.sw2])),
                isError: false)
        }
        let data = response.data
        // Personal data never reaches a report, not even inside a failure message.
        let personal = lastResponseIsPersonal
        let shown = personal ? "(\(data.count) bytes of personal data, masked)" : Hex.encode(data, separator: " ")
        if let pattern = expect.data, !pattern.matches(data) {
            throw StepFailure(
                failure: failure(
                    "data differs", step, expected: personal ? "(masked)" : pattern.description, actual: shown),
                isError: false)
        }
        if let (template, prefix) = expect.dataTemplate {
            let evaluated = try hex(template, step)
            let wanted = evaluated.bytes
            if prefix ? !data.starts(with: wanted) : data != wanted {
                // Expected bytes made from a credential are masked like the command that would carry them.
                throw StepFailure(
                    failure: failure(
                        "data differs", step,
                        expected: personal ? "(masked)" : evaluated.maskedHex + (prefix ? " …" : ""),
                        actual: shown),
                    isError: false)
            }
        }
        if let other = expect.dataNot, try hex(other, step).bytes == data {
            throw StepFailure(
                failure: failure("data equals \(other.text)", step, expected: "anything else", actual: shown),
                isError: false)
        }
        if let regex = expect.dataRegex {
            let hexText = Hex.encode(data)
            if hexText.range(of: regex, options: .regularExpression) == nil {
                throw StepFailure(
                    failure: failure(
                        "data does not match the regular expression", step, expected: regex,
                        actual: personal ? shown : hexText),
                    isError: false)
            }
        }
        if let length = expect.length, !length.contains(data.count) {
            let wanted =
                length.lowerBound == length.upperBound
                ? "\(length.lowerBound) bytes" : "\(length.lowerBound)–\(length.upperBound) bytes"
            throw StepFailure(
                failure: failure("wrong data length", step, expected: wanted, actual: "\(data.count) bytes"),
                isError: false)
        }
        for tlv in expect.tlv { try checkTLV(tlv, data, step) }
        if let certificate = expect.certificate { try checkCertificate(certificate, data, step) }
        if let signature = expect.signature { try checkSignature(signature, data, step) }
    }

    private mutating func checkTLV(_ expectation: TLVExpectation, _ data: [UInt8], _ step: Step) throws(StepFailure) {
        let path = expectation.path.map(\.description).joined(separator: "/")
        let location = "\(expectation.location)"
        let personal = lastResponseIsPersonal
        func fail(_ message: String, expected: String = "", actual: String = "") -> StepFailure {
            StepFailure(
                failure: ScenarioFailure(
                    message: "TLV \(path): \(message)", expected: personal ? "(masked)" : expected,
                    actual: personal && !actual.isEmpty ? "(personal data, masked)" : actual, location: location),
                isError: false)
        }
        guard let (top, _) = try? BERTLV.parseFirst(data) else { throw fail("the data is not BER-TLV") }
        guard top.tag == expectation.path.first else { throw fail("the data starts with tag \(top.tag)") }
        var node = top
        for tag in expectation.path.dropFirst() {
            guard let child = node.children?.first(where: { $0.tag == tag }) else {
                throw fail("no \(tag) inside \(node.tag)")
            }
            node = child
        }
        if let pattern = expectation.value, !pattern.matches(node.value) {
            throw fail("value differs", expected: pattern.description, actual: Hex.encode(node.value, separator: " "))
        }
        if let template = expectation.valueTemplate {
            let expected = try hex(template, step)
            if expected.bytes != node.value {
                throw fail(
                    "value differs", expected: expected.maskedHex, actual: Hex.encode(node.value, separator: " "))
            }
        }
        if let template = expectation.utf8 {
            let evaluated = try self.text(template, step)
            let text = String(decoding: evaluated.bytes, as: UTF8.self)
            let shownText = evaluated.hasSecret ? "(a secret value, masked)" : text
            guard let actual = String(bytes: node.value, encoding: .utf8) else {
                throw fail("not valid UTF-8", expected: shownText, actual: Hex.encode(node.value, separator: " "))
            }
            if actual != text { throw fail("text differs", expected: shownText, actual: actual) }
        }
        if let length = expectation.length, !length.contains(node.value.count) {
            throw fail("wrong length", expected: "\(length)", actual: "\(node.value.count)")
        }
        for format in expectation.formats {
            if let problem = ValueChecks.problem(node.value, format: format) {
                throw fail(
                    "not \(format.rawValue): \(problem)", expected: format.rawValue,
                    actual: Hex.encode(node.value.prefix(32), separator: " ") + (node.value.count > 32 ? " …" : ""))
            }
        }
        if expectation.offsetTable, let problem = ValueChecks.offsetTableProblem(data: data, path: expectation.path) {
            throw fail("offset table: \(problem)", expected: "offsets of the objects after it", actual: problem)
        }
        for (bound, isBefore) in [(expectation.before, true), (expectation.notBefore, false)] {
            guard let bound else { continue }
            let limit = bound == "as_of" ? asOf : CalendarDate(iso: bound)!
            guard let date = ValueChecks.date(node.value) else {
                throw fail("not a date YYYYMMDD", actual: Hex.encode(node.value, separator: " "))
            }
            if isBefore ? !(date < limit) : date < limit {
                throw fail(
                    isBefore ? "not before \(limit)" : "before \(limit)",
                    expected: isBefore ? "a date before \(limit)" : "\(limit) or later", actual: "\(date)")
            }
        }
    }

    /// The DER certificate at the start of `data` (a whole-file read may carry filler after it).
    private func certificateBytes(_ data: [UInt8]) -> [UInt8] {
        guard data.count >= 4, data[0] == 0x30, data[1] == 0x82 else { return data }
        return Array(data.prefix((Int(data[2]) << 8 | Int(data[3])) + 4))
    }

    private mutating func checkCertificate(_ expectation: CertificateExpectation, _ data: [UInt8], _ step: Step)
        throws(StepFailure)
    {
        let location = "\(expectation.location)"
        func fail(_ message: String, expected: String = "", actual: String = "") -> StepFailure {
            StepFailure(
                failure: ScenarioFailure(
                    message: "certificate: \(message)", expected: expected, actual: actual, location: location),
                isError: false)
        }
        let certificate: CertificateSummary
        do { certificate = try CertificateSummary(derEncoded: certificateBytes(data)) } catch {
            throw fail("the data is not an X.509 certificate: \(error)")
        }
        if let chain = expectation.chainTo {
            let caBytes = try hex(chain, step).bytes
            guard let ca = try? CertificateSummary(derEncoded: certificateBytes(caBytes)) else {
                throw fail("chain_to \(chain.text) is not a certificate")
            }
            guard certificate.isSigned(by: ca.publicKey) else {
                throw fail("not signed by the CA in \(chain.text)", expected: ca.subject, actual: certificate.issuer)
            }
            guard certificate.issuer == ca.subject else {
                throw fail("issuer does not name the CA", expected: ca.subject, actual: certificate.issuer)
            }
        }
        if let validOn = expectation.validOn {
            let date = validOn == "as_of" ? asOf : CalendarDate(iso: validOn)!
            guard certificate.notBefore <= date, date <= certificate.notAfter else {
                throw fail(
                    "not valid on \(date)", expected: "valid on \(date)",
                    actual: "\(certificate.notBefore) – \(certificate.notAfter)")
            }
        }
        if let notValidOn = expectation.notValidOn {
            let date = notValidOn == "as_of" ? asOf : CalendarDate(iso: notValidOn)!
            guard date < certificate.notBefore || certificate.notAfter < date else {
                throw fail(
                    "valid on \(date)", expected: "outside its validity on \(date)",
                    actual: "\(certificate.notBefore) – \(certificate.notAfter)")
            }
        }
        if let revocation = expectation.revocation {
            try checkRevocation(revocation, certificate: certificateBytes(data), step)
        }
        for (names, label, text) in [
            (expectation.subject, "subject", certificate.subject), (expectation.issuer, "issuer", certificate.issuer),
        ] {
            let present = Self.attributes(of: text)
            for (attribute, template) in names {
                let value = String(decoding: try self.text(template, step).bytes, as: UTF8.self)
                guard present.contains(where: { $0.0 == attribute && $0.1 == value }) else {
                    throw fail("\(label) has no \(attribute)=\(value)", expected: "\(attribute)=\(value)", actual: text)
                }
            }
        }
        if !expectation.keyUsage.isEmpty, Set(expectation.keyUsage) != Set(certificate.keyUsage) {
            throw fail(
                "key usage differs", expected: expectation.keyUsage.joined(separator: ", "),
                actual: certificate.keyUsage.joined(separator: ", "))
        }
        for usage in expectation.extendedKeyUsage where !certificate.extendedKeyUsage.contains(usage) {
            throw fail(
                "extended key usage lacks \(usage)", expected: usage,
                actual: certificate.extendedKeyUsage.joined(separator: ", "))
        }
        for policy in expectation.policies where !certificate.policyIdentifiers.contains(policy) {
            throw fail(
                "no certificate policy \(policy)", expected: policy,
                actual: certificate.policyIdentifiers.joined(separator: ", "))
        }
    }

    /// RFC 4514 text split into (attribute, value) pairs, honouring backslash escapes.
    static func attributes(of name: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var current = ""
        var escaped = false
        var parts: [String] = []
        for character in name {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," || character == "+" {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        for part in parts {
            guard let equals = part.firstIndex(of: "=") else { continue }
            pairs.append(
                (
                    String(part[..<equals]).trimmingCharacters(in: .whitespaces),
                    String(part[part.index(after: equals)...])
                ))
        }
        return pairs
    }

    private mutating func checkSignature(_ expectation: SignatureExpectation, _ signature: [UInt8], _ step: Step)
        throws(StepFailure)
    {
        let location = "\(expectation.location)"
        func fail(_ message: String) -> StepFailure {
            StepFailure(
                failure: ScenarioFailure(
                    message: "signature: \(message)", expected: "", actual: "", location: location),
                isError: false)
        }
        let keyBytes = try hex(expectation.certificate, step).bytes
        let publicKey: RSAPublicKey
        if expectation.publicKey {
            guard let key = ValueChecks.publicKey(from: keyBytes) else {
                throw fail(
                    "\(expectation.certificate.text) is not a public key (a CV certificate 7F 21, a 90/91 key, "
                        + "a SubjectPublicKeyInfo or a certificate)")
            }
            publicKey = key
        } else {
            guard let certificate = try? CertificateSummary(derEncoded: certificateBytes(keyBytes)) else {
                throw fail("\(expectation.certificate.text) is not a certificate")
            }
            publicKey = certificate.publicKey
        }
        var signature = signature
        if !expectation.path.isEmpty {
            guard let found = ValueChecks.object(at: expectation.path, in: signature) else {
                throw fail("no \(expectation.path.map(\.description).joined(separator: "/")) in the data")
            }
            signature = found.tlv.value
        }
        let valid: Bool
        if let digestInfo = expectation.digestInfo {
            valid = publicKey.isValidPKCS1v15(signature: signature, raw: try hex(digestInfo, step).bytes)
        } else if let message = expectation.message {
            valid = publicKey.isValidPKCS1v15(
                signature: signature, message: try text(message, step).bytes,
                hash: HashAlgorithm(rawValue: expectation.hash) ?? .sha256)
        } else {
            valid = false
        }
        guard valid else {
            throw StepFailure(
                failure: ScenarioFailure(
                    message: "the signature does not verify with the key of \(expectation.certificate.text)",
                    expected: "a valid PKCS#1 v1.5 signature",
                    actual: Hex.encode(signature.prefix(16), separator: " ") + " …", location: location),
                isError: false)
        }
    }

    // MARK: - Masking

    /// The command as hex, with credential bytes replaced by `********`: the data of any VERIFY (INS 20) or
    /// CHANGE REFERENCE DATA (24), and every byte that came from a PIN or the environment.
    static func masked(_ apdu: EvaluatedBytes) -> String {
        var secret = Array(repeating: false, count: apdu.bytes.count)
        for range in apdu.secret { for index in range where index < secret.count { secret[index] = true } }
        // VERIFY (20) and CHANGE REFERENCE DATA (24) carry PINs; so does the JICSAP CHANGE KEY 80 32.
        if let command = try? CommandAPDU(bytes: apdu.bytes),
            [0x20, 0x24].contains(command.ins) || (command.cla == 0x80 && command.ins == 0x32), !command.data.isEmpty
        {
            let start = command.isExtended ? 7 : 5
            for index in start..<(start + command.data.count) { secret[index] = true }
        }
        var tokens: [String] = []
        for (index, byte) in apdu.bytes.enumerated() {
            if secret[index] {
                if tokens.last != "********" { tokens.append("********") }
            } else {
                tokens.append(Hex.encode([byte]))
            }
        }
        return tokens.joined(separator: " ")
    }
}
