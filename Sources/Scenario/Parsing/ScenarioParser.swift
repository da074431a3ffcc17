import APDU
import Foundation
import YAMLSource

/// Reads scenario files. Problems are collected, not thrown one at a time: a QA engineer fixing a file wants
/// every mistake in it at once, each as `file:line:column: error: ...`.
public struct ScenarioParser {
    /// Collected problems; a reference so the small parsing closures can add to it while the parser reads on.
    private final class Sink {
        var diagnostics: [Diagnostic] = []
        /// How often the steps being read run: the product of the enclosing repeats' `times`.
        var repeatFactor = 1
        /// Milliseconds the scenario's waits add up to so far, repeats multiplied in.
        var plannedWait = 0
    }

    /// The most times one step may run in a scenario, nested repeats multiplied: the documented bound of a single
    /// repeat, so that `times: 100000` inside `times: 100000` is an error and not a run that never ends.
    public static let maximumRuns = 100_000
    /// The longest a scenario may wait in all (one hour, as the longest install budget), repeats multiplied.
    public static let maximumPlannedWait = 3_600_000

    private let sink = Sink()
    public var diagnostics: [Diagnostic] { sink.diagnostics }

    public init() {}

    /// Reads a YAML scenario (`.yaml`/`.yml`) or a scriptor script (any other file). `suite` is the scenario's
    /// folder under `Scenarios/`, or the file's folder name.
    public func parse(file path: String, text: String) -> Scenario? {
        let lower = path.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            return parseYAML(path: path, text: text)
        }
        var script = ScriptorParser(path: path, text: text)
        let scenario = script.parse(suite: Self.suite(of: path))
        sink.diagnostics += script.diagnostics
        return scenario
    }

    /// The suite a file belongs to: the folder after `Scenarios/` in its path, else its own folder's name.
    public static func suite(of path: String) -> String {
        let components = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        if let index = components.lastIndex(of: "Scenarios"), index + 2 < components.count {
            return components[index + 1]
        }
        return components.dropLast().last ?? "scenarios"
    }

    private func record(_ body: () throws(Diagnostic) -> Void) {
        do { try body() } catch { sink.diagnostics.append(error) }
    }

    /// A mapping's known keys; each unknown one is reported and left out, so the rest is still checked.
    private func mapping(_ node: YAMLNode, allowing allowed: [String]) throws(Diagnostic) -> YAMLMapping {
        var unknown: [Diagnostic] = []
        let mapping = try node.mapping(allowing: allowed, unknown: &unknown)
        sink.diagnostics += unknown
        return mapping
    }

    private func value<T>(_ body: () throws(Diagnostic) -> T) -> T? {
        do { return try body() } catch {
            sink.diagnostics.append(error)
            return nil
        }
    }

    static let scenarioKeys = [
        "id", "title", "requirement", "requirements", "tags", "destructive", "invasive", "card", "steps", "description",
        "needs_env",
    ]

    private func parseYAML(path: String, text: String) -> Scenario? {
        sink.repeatFactor = 1
        sink.plannedWait = 0
        let file: YAMLFile
        do {
            file = try YAMLFile.parse(text, path: path)
        } catch {
            sink.diagnostics.append(error)
            return nil
        }
        guard let root = value({ () throws(Diagnostic) in try mapping(file.root, allowing: Self.scenarioKeys) }) else {
            return nil
        }
        let id = value { () throws(Diagnostic) in try identifier(root.required("id")) }
        let title = value { () throws(Diagnostic) in try root.required("title").string() }
        var requirements: [String] = []
        record { () throws(Diagnostic) in
            if let single = root["requirement"] { requirements.append(try identifier(single)) }
            if let list = root["requirements"] {
                requirements += try list.sequence().map { (node) throws(Diagnostic) in try identifier(node) }
            }
            if root["requirement"] != nil && root["requirements"] != nil {
                throw root.node.error("give either 'requirement' or 'requirements', not both")
            }
        }
        var tags: [String] = []
        record { () throws(Diagnostic) in
            if let list = root["tags"] {
                tags = try list.sequence().map { (node) throws(Diagnostic) in try identifier(node) }
            }
        }
        let destructive = value { () throws(Diagnostic) in try root["destructive"]?.bool() ?? false } ?? false
        let invasive = value { () throws(Diagnostic) in try root["invasive"]?.bool() ?? false } ?? false
        let card = value { () throws(Diagnostic) in try root["card"]?.string() } ?? nil
        var steps: [Step] = []
        var scope = VariableScopeCheck()
        if let stepsNode = value({ () throws(Diagnostic) in try root.required("steps").sequence() }) {
            if stepsNode.isEmpty {
                sink.diagnostics.append(root["steps"]!.error("a scenario needs at least one step"))
            }
            steps = parseSteps(stepsNode, scope: &scope)
        }
        guard let id, let title else { return nil }
        var scenario = Scenario(
            id: id, title: title, requirements: requirements, tags: tags, destructive: destructive,
            invasive: invasive, card: card, steps: steps, file: path, suite: Self.suite(of: path), format: .yaml,
            location: root.node.location)
        scenario.cardLocation = root["card"]?.location
        if let list = root["needs_env"] {
            record { () throws(Diagnostic) in
                scenario.neededEnvironment = try list.sequence().map { (node) throws(Diagnostic) in
                    let name = try node.string()
                    guard let first = name.first, first.isLetter || first == "_",
                        name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
                    else { throw node.error("'\(name)' is not an environment variable name") }
                    return name
                }
            }
        }
        return scenario
    }

    private func identifier(_ node: YAMLNode) throws(Diagnostic) -> String {
        let text = try node.string()
        guard !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:/".contains($0) }) else {
            throw node.error("'\(text)' is not a valid identifier (letters, digits, - _ . : /)")
        }
        return text
    }

    // MARK: - Steps

    static let actionKeys = [
        "apdu", "select", "verify", "change_pin", "read", "read_record", "sign", "get_challenge", "reset",
        "power_cycle", "repeat", "wait", "mutual_authenticate", "install_ap", "delete_ap", "move_out",
    ]
    /// Step keys besides the action: what to check, what to keep, and how to send it in secure messaging.
    static let stepKeys = ["expect", "capture", "secure", "tamper", "replay", "capture_cryptogram"]
    /// Actions whose commands can go protected in an open session.
    static let protectableActions = ["apdu", "verify", "change_pin", "read", "read_record", "sign", "get_challenge"]

    private func parseSteps(_ nodes: [YAMLNode], scope: inout VariableScopeCheck) -> [Step] {
        var steps: [Step] = []
        for node in nodes {
            if let step = parseStep(node, scope: &scope) { steps.append(step) }
        }
        return steps
    }

    private func parseStep(_ node: YAMLNode, scope: inout VariableScopeCheck) -> Step? {
        // `- reset` and `- power_cycle` may stand alone.
        if case .scalar = node.node {
            guard let word = value({ () throws(Diagnostic) in try node.string() }) else { return nil }
            switch word {
            case "reset": return Step(action: .reset, expect: Expectation(statusWords: []), location: node.location)
            case "power_cycle":
                return Step(action: .powerCycle, expect: Expectation(statusWords: []), location: node.location)
            default:
                sink.diagnostics.append(
                    node.error(
                        "unknown step '\(word)'; a step is a mapping with one of: \(Self.actionKeys.joined(separator: ", "))"
                    ))
                return nil
            }
        }
        var unknownKeys: [Diagnostic] = []
        guard
            let map = value({ () throws(Diagnostic) in
                try node.mapping(allowing: Self.actionKeys + Self.stepKeys, unknown: &unknownKeys)
            })
        else {
            return nil
        }
        sink.diagnostics += unknownKeys
        let actions = map.keys.filter { Self.actionKeys.contains($0) }
        guard actions.count == 1, let key = actions.first, let actionNode = map[key] else {
            // No action but an unknown key: that key was the action, misspelt, and it has been reported.
            if actions.isEmpty && !unknownKeys.isEmpty { return nil }
            sink.diagnostics.append(
                node.error(
                    actions.isEmpty
                        ? "a step needs one action: \(Self.actionKeys.joined(separator: ", "))"
                        : "a step has exactly one action, this one has \(actions.joined(separator: " and "))"))
            return nil
        }
        var expect = defaultExpectation(for: key, actionNode)
        if let expectNode = map["expect"] {
            expect = parseExpectation(expectNode, defaults: expect, scope: scope, isRepeat: key == "repeat") ?? expect
            // A repeat or a wait has no response of its own: only time budgets apply to it.
            if ["repeat", "wait"].contains(key) {
                for keyNode in expectNode.keyNodes {
                    guard let name = try? keyNode.string(), !["max_ms", "p95_ms"].contains(name) else { continue }
                    sink.diagnostics.append(
                        keyNode.error(
                            "'\(name)' does not apply to \(key), which has no response of its own; put it on a step inside, or use max_ms/p95_ms"
                        ))
                }
            }
            // (repeat and wait have said so above, for every key but the time budgets.)
            if !["mutual_authenticate", "repeat", "wait"].contains(key),
                let keysNode = expectNode.keyNodes.first(where: {
                    (try? $0.string()) == "session_keys"
                })
            {
                sink.diagnostics.append(
                    keysNode.error(
                        "session_keys applies to mutual_authenticate, which opens a session; \(key) does not"))
            }
        }
        if ["repeat", "wait"].contains(key), let captureNode = map["capture"] {
            sink.diagnostics.append(captureNode.error("\(key) has no response to capture"))
        }
        let action = parseAction(key, actionNode, scope: &scope)
        var capture: String?
        if let captureNode = map["capture"] {
            capture = value { () throws(Diagnostic) in
                let name = try captureNode.string()
                guard let first = name.first, first.isLetter || first == "_",
                    name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
                else { throw captureNode.error("'\(name)' is not a variable name (letters, digits, _)") }
                guard !["card", "env"].contains(name), TemplateFunction(rawValue: name) == nil else {
                    throw captureNode.error("'\(name)' is reserved; choose another name")
                }
                return name
            }
            if let capture { scope.captured.insert(capture) }
        }
        let protection = stepProtection(map, action: key)
        var cryptogramName: String?
        if let cryptogramNode = map["capture_cryptogram"] {
            cryptogramName = value { () throws(Diagnostic) in
                let name = try cryptogramNode.string()
                guard let first = name.first, first.isLetter || first == "_",
                    name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
                else { throw cryptogramNode.error("'\(name)' is not a variable name (letters, digits, _)") }
                return name
            }
            if let cryptogramName { scope.captured.insert(cryptogramName) }
        }
        guard let action else { return nil }
        var step = Step(action: action, expect: expect, capture: capture, location: node.location)
        step.protection = protection
        step.captureCryptogram = cryptogramName
        return step
    }

    /// `secure: true|false` on a step that sends commands; `tamper:` and `replay: previous` on a raw `apdu` only,
    /// which is where a negative test writes the command it spoils.
    private func stepProtection(_ map: YAMLMapping, action: String) -> StepProtection {
        var protection = StepProtection()
        if let node = map["secure"] {
            if Self.protectableActions.contains(action) {
                protection.secure = value { () throws(Diagnostic) in try node.bool() }
            } else {
                sink.diagnostics.append(
                    node.error(
                        "secure applies to steps that send commands in a session (\(Self.protectableActions.joined(separator: ", "))), not to \(action)"
                    ))
            }
        }
        for key in ["tamper", "replay"] {
            guard let node = map[key] else { continue }
            guard action == "apdu" else {
                sink.diagnostics.append(
                    node.error("\(key) applies to a raw apdu step only (write the command you spoil as an apdu)"))
                continue
            }
            if key == "tamper" {
                protection.tamper = value { () throws(Diagnostic) in
                    TamperKind(rawValue: try node.choice(TamperKind.allCases.map(\.rawValue)))!
                }
            } else {
                _ = value { () throws(Diagnostic) in try node.choice(["previous"]) }
                protection.replayPrevious = true
            }
        }
        if protection.tamper != nil && protection.replayPrevious, let node = map["replay"] {
            sink.diagnostics.append(node.error("give either tamper or replay, not both: a replay is sent unchanged"))
        }
        if protection.secure == false, protection.tamper != nil || protection.replayPrevious, let node = map["secure"] {
            sink.diagnostics.append(
                node.error("tamper and replay spoil a protected command; secure: false sends it plain"))
        }
        return protection
    }

    private func defaultExpectation(for key: String, _ node: YAMLNode) -> Expectation {
        switch key {
        case "reset", "power_cycle", "wait", "repeat": return Expectation(statusWords: [])
        case "verify":
            // A VERIFY without a PIN asks for the tries left: the answer is 63Cx.
            if case .mapping(let pairs) = node.node, pairs["pin"] == nil {
                return Expectation(statusWords: [StatusWordPattern("63C?")!])
            }
            return Expectation()
        default: return Expectation()
        }
    }

    private func template(_ node: YAMLNode, scope: VariableScopeCheck, hex: Bool) -> Template? {
        guard let text = value({ () throws(Diagnostic) in try node.string() }) else { return nil }
        var start = node.location
        if case .scalar(let scalar) = node.node, scalar.style == .singleQuoted || scalar.style == .doubleQuoted {
            start.column += 1
        }
        guard let parsed = value({ () throws(Diagnostic) in try Template.parse(text, at: start) }) else { return nil }
        for (path, column) in parsed.variables {
            if let problem = scope.problem(with: path) {
                sink.diagnostics.append(Diagnostic(problem, at: parsed.location(ofColumn: column)))
            }
        }
        if hex { checkHexLiterals(parsed) }
        return parsed
    }

    /// Literal parts of a hex template must be whole bytes of hex digits; the column points at the culprit.
    private func checkHexLiterals(_ template: Template) {
        for part in template.parts {
            guard case .literal(let text, let column) = part else { continue }
            do {
                _ = try Hex.decode(text)
            } catch {
                let offset = error.offsetUnit == .column ? (error.offset ?? 1) : 1
                sink.diagnostics.append(
                    Diagnostic("bad hex: \(error.message)", at: template.location(ofColumn: column + offset - 1)))
            }
        }
    }

    private func parseAction(_ key: String, _ node: YAMLNode, scope: inout VariableScopeCheck) -> Action? {
        switch key {
        case "apdu":
            return template(node, scope: scope, hex: true).map(Action.apdu)
        case "select":
            if case .scalar = node.node {
                guard let text = value({ () throws(Diagnostic) in try node.string() }) else { return nil }
                if let aid = ScenarioLanguage.applications[text] {
                    return .selectApplication(Template(literal: Hex.encode(aid), location: node.location))
                }
                guard text.contains("${") || (try? Hex.decode(text)).map({ $0.count >= 5 && $0.count <= 16 }) == true
                else {
                    let names = ScenarioLanguage.applications.keys.sorted().joined(separator: ", ")
                    sink.diagnostics.append(
                        node.error(
                            "'\(text)' is neither an application (\(names)) nor an AID of 5 to 16 bytes; to select an EF write select: { ef: \"000A\" }"
                        ))
                    return nil
                }
                return template(node, scope: scope, hex: true).map(Action.selectApplication)
            }
            guard
                let map = value({ () throws(Diagnostic) in try mapping(node, allowing: ["aid", "ef", "application"]) })
            else { return nil }
            if let ef = map["ef"] { return fileID(ef, scope: scope).map(Action.selectFile) }
            if let aid = map["aid"] { return template(aid, scope: scope, hex: true).map(Action.selectApplication) }
            if let name = map["application"] {
                guard
                    let text = value({ () throws(Diagnostic) in
                        try name.choice(ScenarioLanguage.applications.keys.sorted())
                    })
                else { return nil }
                return .selectApplication(
                    Template(literal: Hex.encode(ScenarioLanguage.applications[text]!), location: name.location))
            }
            sink.diagnostics.append(node.error("select needs one of: aid, ef, application"))
            return nil
        case "verify":
            guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: ["ef", "pin"]) }) else {
                return nil
            }
            let ef = map["ef"].flatMap { fileID($0, scope: scope) }
            let pin = map["pin"].flatMap { template($0, scope: scope, hex: false) }
            return .verify(ef: ef, pin: pin)
        case "change_pin":
            guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: ["ef", "new"]) }) else {
                return nil
            }
            let ef = map["ef"].flatMap { fileID($0, scope: scope) }
            guard let newNode = value({ () throws(Diagnostic) in try map.required("new") }),
                let new = template(newNode, scope: scope, hex: false)
            else { return nil }
            return .changePIN(ef: ef, newPIN: new)
        case "read":
            if case .scalar = node.node {
                return fileID(node, scope: scope).map { .read(ef: $0, pattern: .opensc) }
            }
            guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: ["ef", "pattern"]) }) else {
                return nil
            }
            let ef = map["ef"].flatMap { fileID($0, scope: scope) }
            var pattern = ReadPattern.opensc
            if let patternNode = map["pattern"] {
                guard
                    let name = value({ () throws(Diagnostic) in
                        try patternNode.choice(ReadPattern.allCases.map(\.rawValue))
                    })
                else { return nil }
                pattern = ReadPattern(rawValue: name)!
            }
            return .read(ef: ef, pattern: pattern)
        case "read_record":
            guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: ["record", "sfi"]) }),
                let record = value({ () throws(Diagnostic) in try map.required("record").int(in: 1...254) })
            else { return nil }
            let sfi = value { () throws(Diagnostic) in try map["sfi"]?.int(in: 1...30) } ?? nil
            return .readRecord(record: record, shortIdentifier: sfi)
        case "sign":
            guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: ["key", "data"]) }) else {
                return nil
            }
            let key = map["key"].flatMap { fileID($0, scope: scope) }
            guard let dataNode = value({ () throws(Diagnostic) in try map.required("data") }),
                let data = template(dataNode, scope: scope, hex: true)
            else { return nil }
            return .sign(key: key, data: data)
        case "get_challenge":
            if case .scalar = node.node {
                return value { () throws(Diagnostic) in try node.int(in: 1...256) }.map(Action.getChallenge)
            }
            guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: ["length"]) }),
                let length = value({ () throws(Diagnostic) in try map.required("length").int(in: 1...256) })
            else { return nil }
            return .getChallenge(length: length)
        case "reset": return .reset
        case "power_cycle": return .powerCycle
        case "wait":
            let msNode: YAMLNode
            if case .scalar = node.node {
                msNode = node
            } else {
                guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: ["ms"]) }),
                    let given = value({ () throws(Diagnostic) in try map.required("ms") })
                else { return nil }
                msNode = given
            }
            guard let ms = value({ () throws(Diagnostic) in try msNode.int(in: 0...600_000) }) else { return nil }
            let before = sink.plannedWait
            sink.plannedWait += ms * sink.repeatFactor  // at most 6e5 × 1e5: no overflow
            if before <= Self.maximumPlannedWait && sink.plannedWait > Self.maximumPlannedWait {
                sink.diagnostics.append(
                    msNode.error(
                        "with this wait the scenario's waits add up to \(sink.plannedWait) ms (repeats multiplied); "
                            + "at most \(Self.maximumPlannedWait) ms (one hour) in all"))
            }
            return .wait(milliseconds: ms)
        case "repeat":
            guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: ["times", "steps"]) }),
                let timesNode = value({ () throws(Diagnostic) in try map.required("times") }),
                let times = value({ () throws(Diagnostic) in try timesNode.int(in: 1...Self.maximumRuns) }),
                let inner = value({ () throws(Diagnostic) in try map.required("steps").sequence() })
            else { return nil }
            if inner.isEmpty { sink.diagnostics.append(node.error("repeat needs at least one step")) }
            let outer = sink.repeatFactor
            let runs = outer * times  // both at most 1e5 once the outer repeat was accepted: no overflow
            if runs > Self.maximumRuns {
                sink.diagnostics.append(
                    timesNode.error(
                        "inside the enclosing repeats (\(outer) runs) this repeat runs its steps \(runs) times; "
                            + "nested repeats multiply, and a step runs at most \(Self.maximumRuns) times"))
            }
            sink.repeatFactor = min(runs, Self.maximumRuns)
            defer { sink.repeatFactor = outer }
            return .repeatSteps(times: times, steps: parseSteps(inner, scope: &scope))
        case "mutual_authenticate": return mutualAuthentication(node, scope: scope)
        case "install_ap": return installation(node, scope: scope)
        case "delete_ap":
            guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: Self.sessionKeys + ["aid"]) }),
                let session = freeAreaSession(map, scope: scope),
                let aidNode = value({ () throws(Diagnostic) in try map.required("aid") }),
                let aid = aidTemplate(aidNode, scope: scope)
            else { return nil }
            return .deleteAP(session, aid: aid)
        case "move_out":
            guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: Self.sessionKeys) }),
                let session = freeAreaSession(map, scope: scope, defaultRegion: .local)
            else { return nil }
            return .moveOut(session)
        default:
            return nil
        }
    }

    // MARK: - Free area (MCAP-1, an assumption: docs/card-ap-profile.md)

    static let mutualAuthenticationKeys = ["key", "suite", "reference", "region", "protect"]
    static let sessionKeys = ["region", "key", "suite", "manager", "commands"]
    static let installKeys = sessionKeys + ["package", "aid", "block_size", "create_region", "budgets_ms"]

    private func suiteName(_ node: YAMLNode?) -> SecureMessagingSuiteName? {
        guard let node else { return .aes128 }
        return value { () throws(Diagnostic) in
            SecureMessagingSuiteName(rawValue: try node.choice(SecureMessagingSuiteName.allCases.map(\.rawValue)))!
        }
    }

    /// A 16-byte key seed: hex, or an expression such as `${card.free_area.local.key}`.
    private func keySeed(_ node: YAMLNode, scope: VariableScopeCheck) -> Template? {
        guard let parsed = template(node, scope: scope, hex: true) else { return nil }
        if !parsed.hasExpressions, let bytes = try? Hex.decode(parsed.text), bytes.count != 16 {
            sink.diagnostics.append(node.error("a key seed is 16 bytes (32 hex digits); this one is \(bytes.count)"))
            return nil
        }
        return parsed
    }

    private func aidTemplate(_ node: YAMLNode, scope: VariableScopeCheck) -> Template? {
        guard let parsed = template(node, scope: scope, hex: true) else { return nil }
        if !parsed.hasExpressions, let bytes = try? Hex.decode(parsed.text), !(5...16).contains(bytes.count) {
            sink.diagnostics.append(node.error("an AID is 5 to 16 bytes; this one is \(bytes.count)"))
            return nil
        }
        return parsed
    }

    private func mutualAuthentication(_ node: YAMLNode, scope: VariableScopeCheck) -> Action? {
        guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: Self.mutualAuthenticationKeys) })
        else { return nil }
        // Each key read on its own, so every mistake in the mapping is reported at once.
        let key = value({ () throws(Diagnostic) in try map.required("key") }).flatMap { keySeed($0, scope: scope) }
        let suite = suiteName(map["suite"])
        guard let key, let suite else { return nil }
        var reference: UInt8 = 0x80
        if map["reference"] != nil && map["region"] != nil {
            sink.diagnostics.append(node.error("give either reference or region, not both"))
        }
        if let regionNode = map["region"] {
            guard
                let region = value({ () throws(Diagnostic) in
                    FreeAreaRegion(rawValue: try regionNode.choice(FreeAreaRegion.allCases.map(\.rawValue)))!
                })
            else { return nil }
            reference = region.keyReference
        }
        if let referenceNode = map["reference"] {
            guard
                let parsed = value({ () throws(Diagnostic) -> UInt8 in
                    let text = try referenceNode.string()
                    guard text.count == 2, let byte = UInt8(text, radix: 16) else {
                        throw referenceNode.error("'\(text)' is not a key reference: one byte in hex, e.g. 80, 81, 82")
                    }
                    return byte
                })
            else { return nil }
            reference = parsed
        }
        var protect = ProtectionMode.all
        if let protectNode = map["protect"] {
            guard
                let mode = value({ () throws(Diagnostic) in
                    ProtectionMode(rawValue: try protectNode.choice(ProtectionMode.allCases.map(\.rawValue)))!
                })
            else { return nil }
            protect = mode
        }
        return .mutualAuthenticate(
            MutualAuthenticationSetup(key: key, suite: suite, reference: reference, protect: protect))
    }

    private func freeAreaSession(
        _ map: YAMLMapping, scope: VariableScopeCheck, defaultRegion: FreeAreaRegion? = nil
    ) -> FreeAreaSession? {
        // Read first, so its mistakes are reported even when another key is missing.
        var commands = FreeAreaCommands()
        if let commandsNode = map["commands"] {
            record { () throws(Diagnostic) in
                let given = try mapping(commandsNode, allowing: FreeAreaCommands.names)
                for name in given.keys {
                    let node = try given.required(name)
                    let text = try node.string()
                    guard text.count == 2, let byte = UInt8(text, radix: 16) else {
                        throw node.error("'\(text)' is not an INS: one byte in hex, e.g. E8")
                    }
                    guard CommandAPDU.isValidInstruction(byte) else {
                        throw node.error("INS \(text) is invalid (6x and 9x are procedure bytes, ISO/IEC 7816-3)")
                    }
                    // The same rule as a card profile's free_area.commands (docs/card-ap-profile.md).
                    guard ![0x84, 0x82, 0xA4].contains(byte) else {
                        throw node.error("INS \(text) is GET CHALLENGE, MUTUAL AUTHENTICATE or SELECT in the manager")
                    }
                    commands[name] = byte
                    commands.given.insert(name)
                }
                var seen: [UInt8: String] = [:]
                for name in FreeAreaCommands.names {
                    let ins = commands[name]
                    if let other = seen[ins] {
                        throw (given[name] ?? given[other] ?? commandsNode).error(
                            "\(name) and \(other) would both be INS \(Hex.encode([ins])); each command needs its own")
                    }
                    seen[ins] = name
                }
            }
        }
        var region = defaultRegion
        if let regionNode = map["region"] {
            region = value { () throws(Diagnostic) in
                FreeAreaRegion(rawValue: try regionNode.choice(FreeAreaRegion.allCases.map(\.rawValue)))!
            }
            if region == nil { return nil }
        }
        guard let region else {
            sink.diagnostics.append(map.node.error("missing key 'region' (local or extended)"))
            return nil
        }
        let key = value({ () throws(Diagnostic) in try map.required("key") }).flatMap { keySeed($0, scope: scope) }
        let suite = suiteName(map["suite"])
        guard let key, let suite else { return nil }
        var manager = Template(literal: Hex.encode(ScenarioLanguage.freeAreaManagerAID), location: map.node.location)
        if let managerNode = map["manager"] {
            guard let aid = aidTemplate(managerNode, scope: scope) else { return nil }
            manager = aid
        }
        var session = FreeAreaSession(region: region, key: key, suite: suite, manager: manager)
        session.commands = commands
        session.managerGiven = map["manager"] != nil
        return session
    }

    private func installation(_ node: YAMLNode, scope: VariableScopeCheck) -> Action? {
        guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: Self.installKeys) }) else {
            return nil
        }
        let session = freeAreaSession(map, scope: scope)
        let package = value({ () throws(Diagnostic) in try map.required("package") }).flatMap {
            template($0, scope: scope, hex: true)
        }
        let aid = map["aid"].flatMap { aidTemplate($0, scope: scope) }
        let blockSize =
            value { () throws(Diagnostic) in
                try map["block_size"]?.int(in: 1...ScenarioLanguage.maximumLoadBlock)
            } ?? nil
        var creation = RegionCreation.auto
        if let creationNode = map["create_region"] {
            creation =
                value { () throws(Diagnostic) in
                    RegionCreation(rawValue: try creationNode.choice(RegionCreation.allCases.map(\.rawValue)))!
                } ?? .auto
        }
        var budgets: [InstallPhase: Int] = [:]
        if let budgetNode = map["budgets_ms"] {
            record { () throws(Diagnostic) in
                let phases = try mapping(budgetNode, allowing: InstallPhase.allCases.map(\.rawValue))
                for name in phases.keys {
                    budgets[InstallPhase(rawValue: name)!] = try phases.required(name).int(in: 0...3_600_000)
                }
            }
        }
        guard let session, let package else { return nil }
        return .installAP(
            InstallSpec(
                session: session, package: package, aid: aid, blockSize: blockSize ?? ScenarioLanguage.maximumLoadBlock,
                createRegion: creation, budgets: budgets))
    }

    private func fileID(_ node: YAMLNode, scope: VariableScopeCheck) -> Template? {
        guard let parsed = template(node, scope: scope, hex: true) else { return nil }
        if !parsed.hasExpressions, let bytes = try? Hex.decode(parsed.text), bytes.count != 2 {
            sink.diagnostics.append(
                node.error(
                    "a file identifier is 2 bytes (4 hex digits), e.g. \"000A\"; '\(parsed.text)' is \(bytes.count)"))
            return nil
        }
        return parsed
    }

    // MARK: - Expectations

    static let expectKeys = [
        "sw", "data", "data_prefix", "data_regex", "length", "tlv", "certificate", "signature", "max_ms", "p95_ms",
        "cryptogram_differs_from", "data_not", "session_keys",
    ]

    private func parseExpectation(
        _ node: YAMLNode, defaults: Expectation, scope: VariableScopeCheck, isRepeat: Bool
    ) -> Expectation? {
        guard let map = value({ () throws(Diagnostic) in try mapping(node, allowing: Self.expectKeys) }) else {
            return nil
        }
        var expect = defaults
        if let sw = map["sw"] {
            record { () throws(Diagnostic) in
                let items: [YAMLNode]
                if case .sequence = sw.node { items = try sw.sequence() } else { items = [sw] }
                var patterns: [StatusWordPattern] = []
                for item in items {
                    let text = try item.string()
                    if text == "any" {
                        patterns = []
                        break
                    }
                    guard let pattern = StatusWordPattern(text) else {
                        throw item.error("'\(text)' is not a status word: 4 hex digits, ? for any digit (63C?), or any")
                    }
                    patterns.append(pattern)
                }
                expect.statusWords = patterns
            }
        }
        for (key, prefix) in [("data", false), ("data_prefix", true)] {
            guard let data = map[key] else { continue }
            if prefix && map["data"] != nil {
                sink.diagnostics.append(data.error("give either data or data_prefix, not both"))
            }
            // With ${...} the expected bytes are computed (a capture, a hash); otherwise a ?? pattern.
            if (try? data.string())?.contains("${") == true {
                if let template = template(data, scope: scope, hex: true) {
                    expect.dataTemplate = (template, prefix)
                    expect.data = nil
                }
            } else {
                expect.data = bytePattern(data, prefix: prefix)
                expect.dataTemplate = nil
            }
        }
        if let regex = map["data_regex"] {
            record { () throws(Diagnostic) in
                let text = try regex.string()
                do {
                    _ = try NSRegularExpression(pattern: text)
                } catch {
                    throw regex.error("not a valid regular expression: \(text)")
                }
                expect.dataRegex = text
            }
        }
        if let length = map["length"] { expect.length = lengthRange(length) }
        if let list = map["tlv"] {
            record { () throws(Diagnostic) in
                for item in try list.sequence() {
                    if let tlv = try tlvExpectation(item, scope: scope) { expect.tlv.append(tlv) }
                }
            }
        }
        if let certificate = map["certificate"] {
            expect.certificate = certificateExpectation(certificate, scope: scope)
        }
        if let signature = map["signature"] { expect.signature = signatureExpectation(signature, scope: scope) }
        if let ms = map["max_ms"] {
            expect.maxMilliseconds = value { () throws(Diagnostic) in try ms.int(in: 0...600_000) }
        }
        if let ms = map["p95_ms"] {
            if !isRepeat {
                sink.diagnostics.append(
                    ms.error("p95_ms applies to a repeat step's iterations; use max_ms on a single step"))
            }
            expect.p95Milliseconds = value { () throws(Diagnostic) in try ms.int(in: 0...600_000) }
        }
        if let other = map["data_not"] { expect.dataNot = template(other, scope: scope, hex: true) }
        if let other = map["cryptogram_differs_from"] {
            expect.cryptogramDiffersFrom = template(other, scope: scope, hex: true)
        }
        if let keys = map["session_keys"] {
            record { () throws(Diagnostic) in
                _ = try keys.choice(["fresh"])
                expect.sessionKeysFresh = true
            }
        }
        return expect
    }

    static let tlvKeys = ["path", "value", "utf8", "length", "format", "offset_table", "before", "not_before"]

    private func tlvExpectation(_ item: YAMLNode, scope: VariableScopeCheck) throws(Diagnostic) -> TLVExpectation? {
        let fields = try mapping(item, allowing: Self.tlvKeys)
        let pathNode = try fields.required("path")
        let path = try pathNode.string().split(separator: "/").map { (part) throws(Diagnostic) -> BERTag in
            do { return try BERTag(hex: String(part)) } catch {
                throw pathNode.error("'\(part)' is not a BER tag: \(error)")
            }
        }
        var tlv = TLVExpectation(
            path: path, utf8: fields["utf8"].flatMap { template($0, scope: scope, hex: false) },
            length: fields["length"].flatMap { lengthRange($0) }, location: item.location)
        if let value = fields["value"] {
            // With ${...} the value is computed (a hash of another file) and compared exactly; else a ?? pattern.
            if try value.string().contains("${") {
                tlv.valueTemplate = template(value, scope: scope, hex: true)
            } else {
                tlv.value = bytePattern(value, prefix: false)
            }
        }
        if let format = fields["format"] {
            let items: [YAMLNode]
            if case .sequence = format.node { items = try format.sequence() } else { items = [format] }
            tlv.formats = try items.map { (node) throws(Diagnostic) in
                ValueFormat(rawValue: try node.choice(ValueFormat.allCases.map(\.rawValue)))!
            }
        }
        if let table = fields["offset_table"] { tlv.offsetTable = try table.bool() }
        for key in ["before", "not_before"] {
            guard let node = fields[key] else { continue }
            let text = try node.string()
            guard text == "as_of" || Self.isISODate(text) else {
                throw node.error("'\(text)' is not a date: YYYY-MM-DD, or as_of for the card's date")
            }
            if key == "before" { tlv.before = text } else { tlv.notBefore = text }
        }
        return tlv
    }

    private func bytePattern(_ node: YAMLNode, prefix: Bool) -> BytePattern? {
        value { () throws(Diagnostic) in
            let text = try node.string()
            var bytes: [UInt8?] = []
            let cleaned = text.replacingOccurrences(of: " ", with: "")
            guard cleaned.count % 2 == 0 else { throw node.error("'\(text)' has an odd number of hex digits") }
            var index = cleaned.startIndex
            while index < cleaned.endIndex {
                let pair = String(cleaned[index..<cleaned.index(index, offsetBy: 2)])
                if pair == "??" {
                    bytes.append(nil)
                } else if let byte = UInt8(pair, radix: 16) {
                    bytes.append(byte)
                } else {
                    throw node.error("'\(pair)' is neither a hex byte nor ?? in '\(text)'")
                }
                index = cleaned.index(index, offsetBy: 2)
            }
            return BytePattern(bytes: bytes, prefix: prefix)
        }
    }

    /// `256`, `"1..256"`, or `{ min: 1, max: 256 }`.
    private func lengthRange(_ node: YAMLNode) -> ClosedRange<Int>? {
        value { () throws(Diagnostic) in
            if case .mapping = node.node {
                let map = try mapping(node, allowing: ["min", "max"])
                let low = try map["min"]?.int(in: 0...65_536) ?? 0
                let high = try map["max"]?.int(in: 0...65_536) ?? 65_536
                guard low <= high else { throw node.error("min \(low) is above max \(high)") }
                return low...high
            }
            let text = try node.string()
            if let exact = Int(text), exact >= 0 { return exact...exact }
            let bounds = text.components(separatedBy: "..")
            guard bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low >= 0, low <= high else {
                throw node.error("'\(text)' is not a length: a number, a range like 1..256, or { min, max }")
            }
            return low...high
        }
    }

    static let keyUsages = [
        "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign",
        "cRLSign",
    ]

    private func certificateExpectation(_ node: YAMLNode, scope: VariableScopeCheck) -> CertificateExpectation? {
        guard
            let map = value({ () throws(Diagnostic) in
                try mapping(
                    node,
                    allowing: [
                        "chain_to", "valid_on", "not_valid_on", "subject", "issuer", "key_usage", "extended_key_usage",
                        "policies", "revocation",
                    ])
            })
        else { return nil }
        var expectation = CertificateExpectation(location: node.location)
        expectation.chainTo = map["chain_to"].flatMap { template($0, scope: scope, hex: true) }
        record { () throws(Diagnostic) in
            for key in ["valid_on", "not_valid_on"] {
                guard let node = map[key] else { continue }
                let text = try node.string()
                guard text == "as_of" || Self.isISODate(text) else {
                    throw node.error("'\(text)' is not a date: YYYY-MM-DD, or as_of for the card's date")
                }
                if key == "valid_on" { expectation.validOn = text } else { expectation.notValidOn = text }
            }
        }
        if let node = map["revocation"] {
            record { () throws(Diagnostic) in
                let fields = try mapping(node, allowing: ["issuer", "crl", "ocsp", "status"])
                guard let issuer = template(try fields.required("issuer"), scope: scope, hex: true) else { return }
                let crl = fields["crl"].flatMap { template($0, scope: scope, hex: false) }
                let ocsp = fields["ocsp"].flatMap { template($0, scope: scope, hex: false) }
                if fields["crl"] == nil && fields["ocsp"] == nil {
                    throw node.error("revocation needs crl (a CRL file), ocsp (a responder's URL), or both")
                }
                let statusNode = try fields.required("status")
                let status = RevocationExpectation.Status(rawValue: try statusNode.choice(["good", "revoked"]))!
                expectation.revocation = RevocationExpectation(
                    issuer: issuer, crl: crl, ocsp: ocsp, status: status, location: node.location)
            }
        }
        for (key, assign) in [("subject", true), ("issuer", false)] {
            guard let names = map[key] else { continue }
            record { () throws(Diagnostic) in
                let fields = try mapping(names, allowing: ["C", "O", "OU", "CN", "L", "ST"])
                var pairs: [(attribute: String, value: Template)] = []
                for attribute in fields.keys {
                    guard let node = fields[attribute], let value = template(node, scope: scope, hex: false) else {
                        continue
                    }
                    pairs.append((attribute, value))
                }
                if assign { expectation.subject = pairs } else { expectation.issuer = pairs }
            }
        }
        record { () throws(Diagnostic) in
            if let usages = map["key_usage"] {
                expectation.keyUsage = try usages.sequence().map { (node) throws(Diagnostic) in
                    try node.choice(Self.keyUsages)
                }
            }
            if let usages = map["extended_key_usage"] {
                expectation.extendedKeyUsage = try usages.sequence().map { (node) throws(Diagnostic) in
                    try node.choice(["clientAuth", "serverAuth", "emailProtection", "codeSigning"])
                }
            }
            if let policies = map["policies"] {
                expectation.policies = try policies.sequence().map { (node) throws(Diagnostic) in
                    let oid = try node.string()
                    guard oid.split(separator: ".").count >= 2, oid.split(separator: ".").allSatisfy({ Int($0) != nil })
                    else {
                        throw node.error("'\(oid)' is not an object identifier such as 1.2.392.200149.8.5.1.3.30")
                    }
                    return oid
                }
            }
        }
        return expectation
    }

    private func signatureExpectation(_ node: YAMLNode, scope: VariableScopeCheck) -> SignatureExpectation? {
        guard
            let map = value({ () throws(Diagnostic) in
                try mapping(node, allowing: ["certificate", "public_key", "path", "message", "digest_info", "hash"])
            }),
            let keyNode = value({ () throws(Diagnostic) in
                if map["certificate"] != nil && map["public_key"] != nil {
                    throw node.error("give either certificate or public_key, not both")
                }
                guard let found = map["certificate"] ?? map["public_key"] else {
                    throw node.error("missing key 'certificate' (or 'public_key' for a CV certificate or a key)")
                }
                return found
            }),
            let certificate = template(keyNode, scope: scope, hex: true)
        else { return nil }
        var path: [BERTag] = []
        if let pathNode = map["path"] {
            record { () throws(Diagnostic) in
                let text = try pathNode.string()
                guard let tags = TLVPath.tags(text) else { throw pathNode.error("'\(text)' is not a path of BER tags") }
                path = tags
            }
        }
        let message = map["message"].flatMap { template($0, scope: scope, hex: false) }
        let digestInfo = map["digest_info"].flatMap { template($0, scope: scope, hex: true) }
        if (message == nil) == (digestInfo == nil) {
            sink.diagnostics.append(node.error("signature needs either message (with hash) or digest_info"))
        }
        let hash =
            value { () throws(Diagnostic) in try map["hash"]?.choice(["sha1", "sha256"]) ?? "sha256" } ?? "sha256"
        var expectation = SignatureExpectation(
            certificate: certificate, message: message, digestInfo: digestInfo, hash: hash, location: node.location)
        expectation.publicKey = map["public_key"] != nil
        expectation.path = path
        return expectation
    }

    static func isISODate(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let month = Int(parts[1]), let day = Int(parts[2]), Int(parts[0]) != nil
        else { return false }
        return (1...12).contains(month) && (1...31).contains(day)
    }
}

/// Which variables a template may name at a point in a scenario: the card's, the environment's, and those
/// captured by earlier steps.
struct VariableScopeCheck {
    var captured: Set<String> = []

    func problem(with path: [String]) -> String? {
        guard let root = path.first else { return "empty variable name" }
        switch root {
        case "card":
            let name = path.joined(separator: ".")
            guard ScenarioLanguage.isCardVariable(name) else {
                return
                    "unknown variable '\(name)'; the card offers: \(ScenarioLanguage.cardVariablesOffered)"
            }
            return nil
        case "env":
            return path.count == 2 ? nil : "write an environment variable as env.NAME"
        default:
            guard path.count == 1 else { return "unknown variable '\(path.joined(separator: "."))'" }
            guard captured.contains(root) else {
                let known = captured.sorted()
                return "unknown variable '\(root)'"
                    + (known.isEmpty
                        ? ": no earlier step captures it" : "; captured so far: \(known.joined(separator: ", "))")
            }
            return nil
        }
    }
}

extension ScenarioLanguage {
    /// What `${card.…}` can read: the card profile's values (on a real card, only what the environment supplies).
    public static let cardVariables =
        [
            "card.pins.auth", "card.pins.sign", "card.pins.text", "card.holder.my_number", "card.holder.name",
            "card.holder.address", "card.holder.birth_date", "card.holder.sex", "card.as_of",
            "card.pins.juki", "card.codes.a", "card.codes.b", "card.codes.birth_date", "card.holder.card_expiry",
            "card.holder.security_code", "card.holder.municipality_code", "card.holder.card_serial",
            "card.keys.common_ap", "card.revocation.crl",
            "card.free_area.manager_aid", "card.free_area.suite", "card.free_area.local.key",
            "card.free_area.extended.key",
        ] + (FreeAreaCommands.names + ["free_space"]).map { "card.free_area.commands.\($0)" }

    /// The card variables as an error lists them: the management INS bytes as one entry with their names.
    static var cardVariablesOffered: String {
        let commands =
            "card.free_area.commands.NAME[\((FreeAreaCommands.names + ["free_space"]).joined(separator: "|"))]"
        let named = cardVariables.filter { !$0.hasPrefix("card.free_area.commands.") }
        return (named + [commands, freeAreaPackageVariable]).joined(separator: ", ")
    }

    /// A free-area package's variables: `card.free_area.packages.NAME` and its `.aid`, `.key`, `.suite`, `.password`
    /// (NAME is the profile's, so any name is accepted here; an unknown one fails when the scenario runs).
    public static let freeAreaPackageVariable = "card.free_area.packages.NAME[.aid|.key|.suite|.password]"

    /// Whether `${name}` names something a card profile can supply.
    public static func isCardVariable(_ name: String) -> Bool {
        if cardVariables.contains(name) { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 || parts.count == 5, parts[0] == "card", parts[1] == "free_area",
            parts[2] == "packages", !parts[3].isEmpty
        else { return false }
        return parts.count == 4 || ["aid", "key", "suite", "password"].contains(parts[4])
    }

    /// Card variables that open something (PINs, 照合番号, free-area keys and passwords, a package that carries
    /// its key): masked wherever they would be shown.
    public static func isSecretCardVariable(_ name: String) -> Bool {
        if name.hasPrefix("card.pins.") || name.hasPrefix("card.codes.") { return true }
        guard name.hasPrefix("card.free_area.") else { return false }
        let path = name.split(separator: ".").map(String.init)
        if name.hasSuffix(".key") || name.hasSuffix(".password") { return true }
        return path.count == 4 && path[2] == "packages"
    }
}
