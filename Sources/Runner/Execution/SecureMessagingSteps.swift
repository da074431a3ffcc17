import APDU
import CardCrypto
import Foundation
import Scenario

// Secure messaging and the free area's installer steps for ScenarioExecution: mutual authentication, protected
// sending (with spoiled commands for negative tests), and install/delete/move-out in the MCAP-1 command profile
// (an ASSUMPTION: docs/card-ap-profile.md). Expectations always see the unprotected answer.

/// Whether a command goes protected: as the step and the session's mode say, or always plain / always protected
/// (the installer's own exchanges).
enum SendMode {
    case asStepSays
    case plain
    case protected
}

extension SecureMessagingSuiteName {
    var suite: SecureMessagingSuite { self == .aes128 ? .aes128 : .tripleDES }
}

extension ScenarioExecution {
    mutating func endSession() {
        secureSession = nil
        lastProtectedCommand = nil
    }

    func shouldProtect(_ step: Step, mode: SendMode) throws(StepFailure) -> Bool {
        switch mode {
        case .plain: return false
        case .protected: return true
        case .asStepSays:
            let protection = step.protection
            let wanted =
                protection.secure
                ?? (protection.tamper != nil || protection.replayPrevious
                    || (secureSession != nil && protectionMode == .all))
            if wanted && secureSession == nil && !protection.replayPrevious {
                throw StepFailure(
                    failure: failure(
                        "this step is to be sent in secure messaging, but no session is open: a mutual_authenticate "
                            + "step opens one (a reset, a SELECT of an application or an error the card reports ends it)",
                        step),
                    isError: true)
            }
            return wanted
        }
    }

    /// Adds a sample to the timing of this name, so a step inside `repeat` gathers all its iterations in one row.
    mutating func addTiming(_ name: String, _ sample: Duration, maxBudget: Duration? = nil) {
        if let index = timings.firstIndex(where: { $0.name == name }) {
            timings[index].samples.append(sample)
            if let maxBudget { timings[index].maxBudget = maxBudget }
        } else {
            timings.append(StepTiming(name: name, samples: [sample], maxBudget: maxBudget))
        }
    }

    /// Protects the command in the open session (spoiled as the step says), sends it, and opens the answer. A card
    /// that answers a bare status word has ended the session (ICAO 9303-11 §9.8); so does the host.
    mutating func sendProtected(_ apdu: EvaluatedBytes, _ step: Step) async throws(StepFailure) -> (
        ResponseAPDU, Duration
    ) {
        let protection = step.protection
        let plainText = Self.masked(apdu)
        var wire: [UInt8]
        var note = "protected"
        if protection.replayPrevious {
            guard let previous = lastProtectedCommand else {
                throw StepFailure(
                    failure: failure("replay: previous, but no protected command was sent before this step", step),
                    isError: true)
            }
            wire = previous
            note = "replayed"
        } else {
            guard var session = secureSession else {
                throw StepFailure(failure: failure("no secure-messaging session is open", step), isError: true)
            }
            let command: CommandAPDU
            do { command = try CommandAPDU(bytes: apdu.bytes) } catch {
                throw StepFailure(
                    failure: failure("cannot protect a malformed command APDU: \(error)", step), isError: true)
            }
            do {
                if protection.tamper == .counter {
                    // One ahead of the card: the card's checksum over its own counter will not match.
                    session = try SecureMessagingHostSession(
                        keys: session.keys, sendSequenceCounter: session.sendSequenceCounter.advanced(by: 1).bytes)
                }
                wire = try session.protect(command).bytes
            } catch {
                throw StepFailure(failure: failure("cannot protect the command: \(error.reason)", step), isError: true)
            }
            secureSession = session
            if let tamper = protection.tamper {
                wire = Self.spoil(wire, tamper)
                note = "protected, tampered (\(tamper.rawValue))"
            }
        }
        lastProtectedCommand = wire
        let clock = ContinuousClock()
        let start = clock.now
        let raw: [UInt8]
        do {
            raw = try await channel.transmit(wire)
        } catch {
            transcript.append(
                TranscriptEntry(
                    command: Hex.encode(wire, separator: " "), response: "(no answer: \(error))",
                    duration: clock.now - start, step: place(step), plainCommand: plainText))
            throw StepFailure(failure: failure("the card did not answer: \(error)", step), isError: true)
        }
        let elapsed = clock.now - start
        if let command = try? CommandAPDU(bytes: apdu.bytes), [0xB0, 0xB1, 0xB2, 0xB3].contains(command.ins) {
            protectedReadSamples.append(elapsed)
        }
        let wireText = Hex.encode(raw, separator: " ")
        guard raw.count >= 2 else {
            transcript.append(
                TranscriptEntry(
                    command: Hex.encode(wire, separator: " "), response: wireText, duration: elapsed, step: place(step),
                    plainCommand: "\(plainText) (\(note))"))
            throw StepFailure(
                failure: failure("the card answered \(raw.count) byte(s), less than a status word", step), isError: true
            )
        }
        var response: ResponseAPDU
        var plainResponse: String
        if raw.count == 2 || secureSession == nil || protection.replayPrevious {
            // A bare status word: the card refused the command as secure messaging, and its session is over. After
            // a command spoiled on purpose the host keeps its own session (as if the exchange had gone through), so
            // the next step can check that the card really ended its side.
            response = ResponseAPDU(
                data: Array(raw.dropLast(2)), statusWord: StatusWord(raw[raw.count - 2], raw[raw.count - 1]))
            if protection.tamper != nil, let session = secureSession,
                let kept = try? SecureMessagingHostSession(
                    keys: session.keys, sendSequenceCounter: session.sendSequenceCounter.advanced(by: 1).bytes)
            {
                secureSession = kept
                plainResponse = "(unprotected answer; the card's session has ended, the host keeps its own)"
            } else if protection.replayPrevious, secureSession != nil {
                plainResponse = "(unprotected answer; the card's session has ended, the host keeps its own)"
            } else {
                plainResponse = "(unprotected answer; the session has ended)"
                endSession()
            }
        } else {
            lastCryptogram =
                (try? BERTLV.parseAll(Array(raw.dropLast(2))))?.first {
                    $0.tag == BERTag(0x87) || $0.tag == BERTag(0x85)
                }?.value
            do {
                response = try secureSession!.unprotect(raw)
            } catch {
                transcript.append(
                    TranscriptEntry(
                        command: Hex.encode(wire, separator: " "), response: wireText, duration: elapsed,
                        step: place(step), plainCommand: "\(plainText) (\(note))",
                        plainResponse: "(does not open: \(error.reason))"))
                endSession()
                throw StepFailure(
                    failure: failure(
                        "the card's protected response does not check: \(error.reason)", step,
                        expected: "a response protected with this session's keys and counter", actual: wireText),
                    isError: false)
            }
            plainResponse = Hex.encode(
                response.data + [response.statusWord.sw1, response.statusWord.sw2], separator: " ")
        }
        transcript.append(
            TranscriptEntry(
                command: Hex.encode(wire, separator: " "), response: wireText, duration: elapsed, step: place(step),
                plainCommand: "\(plainText) (\(note))", plainResponse: plainResponse))
        try checkTriesSpent(try? CommandAPDU(bytes: apdu.bytes), apdu, response.statusWord, step)
        return (response, elapsed)
    }

    /// The protected command spoiled: a checksum bit flipped, or the data objects out of order (DO 8E first).
    static func spoil(_ wire: [UInt8], _ tamper: TamperKind) -> [UInt8] {
        guard let command = try? CommandAPDU(bytes: wire) else { return wire }
        var data = command.data
        switch tamper {
        case .counter:
            return wire
        case .mac:
            if let last = data.indices.last { data[last] ^= 0x01 }
        case .order:
            if var objects = try? BERTLV.parseAll(data), objects.count >= 2 {
                let checksum = objects.removeLast()
                data = ([checksum] + objects).flatMap(\.encoded)
            }
        }
        return
            (try? CommandAPDU(
                cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2, data: data, le: command.le,
                encoding: command.isExtended ? .extended : .short
            ))?.bytes ?? wire
    }

    /// GET CHALLENGE, then MUTUAL AUTHENTICATE `00 82 00 P2 28 … 28` with keys derived from the seed; on `90 00`
    /// with a cryptogram that checks, the session is open. Any other answer is the step's response.
    mutating func authenticate(seed: Template, suite name: SecureMessagingSuiteName, reference: UInt8, _ step: Step)
        async throws(StepFailure) -> (ResponseAPDU, Duration)
    {
        endSession()
        let seedBytes = try hex(seed, step).bytes
        guard seedBytes.count == 16 else {
            throw StepFailure(
                failure: failure("a key seed is 16 bytes; \(seed.text) gives \(seedBytes.count)", step), isError: true)
        }
        let keys = name.suite.deriveKeys(from: seedBytes)
        let (challenge, first) = try await send(command(0x00, 0x84, 0x00, 0x00, le: 8), step, mode: .plain)
        guard challenge.statusWord == .success else {
            responseNote = "GET CHALLENGE"
            return (challenge, first)
        }
        let authentication: HostMutualAuthentication
        do {
            authentication = try HostMutualAuthentication(
                keys: keys, cardChallenge: challenge.data, hostChallenge: evaluator.random.bytes(8),
                hostKeyMaterial: evaluator.random.bytes(16))
        } catch {
            throw StepFailure(
                failure: failure(
                    "GET CHALLENGE gave \(challenge.data.count) bytes: \(error.reason)", step, expected: "8 bytes",
                    actual: Hex.encode(challenge.data, separator: " ")),
                isError: false)
        }
        let data = authentication.commandData
        let (answer, second) = try await send(
            command(0x00, 0x82, 0x00, reference, data: data, le: data.count), step, mode: .plain)
        guard answer.statusWord == .success else {
            responseNote = "MUTUAL AUTHENTICATE"
            return (answer, first + second)
        }
        do {
            secureSession = try authentication.complete(responseData: answer.data)
        } catch {
            throw StepFailure(
                failure: failure(
                    "MUTUAL AUTHENTICATE: the card's cryptogram does not check: \(error.reason)", step,
                    expected: "E.IC ‖ M.IC under the same key", actual: Hex.encode(answer.data, separator: " ")),
                isError: false)
        }
        try checkFreshSessionKeys(step)
        return (answer, first + second)
    }

    /// Remembers the new session's keys and, with `session_keys: fresh`, fails when an earlier session had them:
    /// both sides put fresh key material (K.IFD, K.IC) into the seed, so keys seen before mean the card's part
    /// depends on the host's, and one recorded session decrypts every later one. With `aes128` the IV hides this
    /// from a ciphertext comparison. The keys stay in memory; a report names only the step that saw them first.
    mutating func checkFreshSessionKeys(_ step: Step) throws(StepFailure) {
        guard let keys = secureSession?.keys else { return }
        if step.expect.sessionKeysFresh, let earlier = sessionKeysSeen[keys] {
            endSession()
            throw StepFailure(
                failure: failure(
                    "MUTUAL AUTHENTICATE: the card derived the same session keys as in the session opened at "
                        + "\(earlier); its key material K.IC is not fresh, so one recorded session decrypts every "
                        + "later one",
                    step, expected: "session keys not seen before in this scenario",
                    actual: "the session keys of \(earlier)"),
                isError: false)
        }
        if sessionKeysSeen[keys] == nil { sessionKeysSeen[keys] = place(step) }
    }

    /// `capture_cryptogram` and `cryptogram_differs_from`: the ciphertext of the step's last protected response.
    mutating func checkCryptogram(_ step: Step) throws(StepFailure) {
        guard step.captureCryptogram != nil || step.expect.cryptogramDiffersFrom != nil else { return }
        guard let cryptogram = lastCryptogram else {
            throw StepFailure(
                failure: failure(
                    "this step got no protected response with a cryptogram (DO 87) to keep or compare", step),
                isError: false)
        }
        if let other = step.expect.cryptogramDiffersFrom {
            let earlier = try hex(other, step).bytes
            if earlier == cryptogram {
                throw StepFailure(
                    failure: failure(
                        "the same data reads as the same ciphertext as in \(other.text): the session keys were not fresh",
                        step, expected: "a different cryptogram", actual: Hex.encode(cryptogram, separator: " ")),
                    isError: false)
            }
        }
        if let name = step.captureCryptogram { evaluator.store.captures[name] = cryptogram }
    }

    static func aidObject(_ aid: [UInt8]) -> [UInt8] {
        BERTLV(tag: BERTag(0x4F), value: aid).encoded
    }

    /// The session with the card's command profile where the step wrote none: the manager AID and INS bytes of the
    /// card profile's free area (`card.free_area.manager_aid`, `card.free_area.commands.*`), so the shipped suite
    /// runs on a vendor's profile unchanged; MCAP-1's where there is no profile (a real card).
    func withCardBytes(_ given: FreeAreaSession) -> FreeAreaSession {
        var session = given
        let card = evaluator.store.card
        if !session.managerGiven, let aid = card["card.free_area.manager_aid"] {
            session.manager = Template(literal: aid, location: session.manager.location)
        }
        for name in FreeAreaCommands.names where !session.commands.given.contains(name) {
            if let text = card["card.free_area.commands.\(name)"], let ins = try? Hex.decode(text), ins.count == 1 {
                session.commands[name] = ins[0]
            }
        }
        return session
    }

    /// SELECT of the manager and authentication with the region's key; nil when both answered 90 00, else the
    /// answer that stopped it.
    private mutating func openManager(_ session: FreeAreaSession, _ step: Step) async throws(StepFailure) -> (
        ResponseAPDU?, Duration
    ) {
        endSession()
        let manager = try hex(session.manager, step).bytes
        let (selected, first) = try await send(command(0x00, 0xA4, 0x04, 0x0C, data: manager), step, mode: .plain)
        guard selected.statusWord == .success else {
            responseNote = "SELECT of the free-area manager"
            return (selected, first)
        }
        let (answer, second) = try await authenticate(
            seed: session.key, suite: session.suite, reference: session.region.keyReference, step)
        return (answer.statusWord == .success ? nil : answer, first + second)
    }

    /// `delete_ap`, `move_out`: one management command in a fresh manager session, which ends with the step.
    mutating func manage(
        _ session: FreeAreaSession, _ step: Step,
        _ build: (inout ScenarioExecution) throws(StepFailure) -> EvaluatedBytes
    ) async throws(StepFailure) -> (ResponseAPDU, Duration) {
        let (stopped, opening) = try await openManager(session, step)
        if let stopped { return (stopped, opening) }
        let apdu = try build(&self)
        let (answer, time) = try await send(apdu, step, mode: .protected)
        endSession()
        return (answer, opening + time)
    }

    /// The whole install, each phase timed on the monotonic clock as the emulate report and `timings` time it:
    /// authentication (SELECT manager → MUTUAL AUTHENTICATE answered), region creation, download (first LOAD → last
    /// LOAD answered), user ID, activation; `install` spans them all. The response is the user ID (13 bytes).
    mutating func install(_ spec: InstallSpec, _ step: Step) async throws(StepFailure) -> (ResponseAPDU, Duration) {
        let clock = ContinuousClock()
        let started = clock.now
        var roundTrips = Duration.zero
        let label = "install_ap"
        func record(_ phase: InstallPhase, _ duration: Duration, _ execution: inout ScenarioExecution) {
            execution.addTiming(
                "\(label) \(phase.rawValue) @ \(execution.place(step))", duration,
                maxBudget: spec.budgets[phase].map { .milliseconds($0) })
        }
        defer { endSession() }
        let (stopped, opening) = try await openManager(spec.session, step)
        roundTrips += opening
        if let stopped { return (stopped, roundTrips) }
        record(.authentication, clock.now - started, &self)

        if spec.createRegion != .never {
            let phaseStart = clock.now
            let (answer, time) = try await send(
                command(0x80, spec.session.commands.createRegion, 0x00, 0x00), step, mode: .protected)
            roundTrips += time
            let alreadyThere = answer.statusWord == StatusWord(0x6A, 0x89) && spec.createRegion == .auto
            if answer.statusWord == .success {
                record(.regionCreation, clock.now - phaseStart, &self)
            } else if !alreadyThere {
                responseNote = "install_ap: CREATE REGION"
                return (answer, roundTrips)
            }
            if secureSession == nil {
                // The card answered without secure messaging and ended the session: authenticate again.
                let (again, time) = try await openManager(spec.session, step)
                roundTrips += time
                if let again { return (again, roundTrips) }
            }
        }

        let package = try hex(spec.package, step).bytes
        guard !package.isEmpty else {
            throw StepFailure(failure: failure("the package \(spec.package.text) is empty", step), isError: true)
        }
        let blocks = stride(from: 0, to: package.count, by: spec.blockSize).map {
            Array(package[$0..<min($0 + spec.blockSize, package.count)])
        }
        guard blocks.count <= 256 else {
            throw StepFailure(
                failure: failure(
                    "the package is \(package.count) bytes: \(blocks.count) blocks of \(spec.blockSize), more than "
                        + "LOAD's P2 can number (256); use a larger block_size", step),
                isError: true)
        }
        let downloadStart = clock.now
        for (index, block) in blocks.enumerated() {
            var apdu = EvaluatedBytes()
            let last = index == blocks.count - 1
            apdu.append(
                [0x80, spec.session.commands.load, last ? 0x80 : 0x00, UInt8(index), UInt8(block.count)], secret: false)
            // The package carries the AP's key and password: its bytes are masked in the plain transcript.
            apdu.append(block, secret: true)
            let (answer, time) = try await send(apdu, step, mode: .protected)
            roundTrips += time
            guard answer.statusWord == .success else {
                responseNote = "install_ap: LOAD block \(index + 1) of \(blocks.count)"
                return (answer, roundTrips)
            }
        }
        record(.download, clock.now - downloadStart, &self)

        let aid: [UInt8]
        if let given = spec.aid {
            aid = try hex(given, step).bytes
        } else if let found = ValueChecks.object(at: [BERTag(0x70), BERTag(0x4F)], in: package) {
            aid = found.tlv.value
        } else {
            throw StepFailure(
                failure: failure("the package has no 70/4F (the AP's AID); give aid: in the step", step), isError: true)
        }
        let userIDStart = clock.now
        let (written, userIDTime) = try await send(
            command(0x80, spec.session.commands.writeUserID, 0x00, 0x00, data: Self.aidObject(aid)), step,
            mode: .protected)
        roundTrips += userIDTime
        guard written.statusWord == .success else {
            responseNote = "install_ap: WRITE USER ID"
            return (written, roundTrips)
        }
        guard written.data.count == 16, written.data.starts(with: [0x5F, 0x50, 0x0D]) else {
            throw StepFailure(
                failure: failure(
                    "install_ap: WRITE USER ID answered no user ID", step, expected: "5F 50 0D + 13 bytes",
                    actual: Hex.encode(written.data, separator: " ")),
                isError: false)
        }
        record(.userID, clock.now - userIDStart, &self)

        let activationStart = clock.now
        let (activated, activationTime) = try await send(
            command(0x80, spec.session.commands.activate, 0x00, 0x00, data: Self.aidObject(aid)), step, mode: .protected
        )
        roundTrips += activationTime
        guard activated.statusWord == .success else {
            responseNote = "install_ap: ACTIVATE"
            return (activated, roundTrips)
        }
        record(.activation, clock.now - activationStart, &self)
        record(.install, clock.now - started, &self)
        return (ResponseAPDU(data: Array(written.data.dropFirst(3)), statusWord: .success), roundTrips)
    }

    /// After the install's answer was as expected: each phase within its budget.
    func checkPhaseBudgets(_ spec: InstallSpec, _ step: Step) throws(StepFailure) {
        for phase in InstallPhase.allCases {
            guard let budget = spec.budgets[phase],
                let timing = timings.first(where: { $0.name == "install_ap \(phase.rawValue) @ \(place(step))" }),
                let sample = timing.samples.last, sample > .milliseconds(budget)
            else { continue }
            throw StepFailure(
                failure: failure(
                    "install_ap: the \(phase.rawValue) phase is over its budget", step,
                    expected: "at most \(Self.milliseconds(.milliseconds(budget)))", actual: Self.milliseconds(sample)),
                isError: false)
        }
    }
}
