import APDU
import CardCrypto
import Scenario
import YAMLSource

/// Checks that need the templates evaluated but no card: an `apdu` step whose Lc disagrees with its data, a
/// file identifier that does not come out as 2 bytes. Templates that read captures or a missing variable are
/// checked when they run instead.
public enum StaticChecks {
    public static func diagnostics(for scenarios: [Scenario], variables: VariableStore) -> [Diagnostic] {
        var found: [Diagnostic] = []
        for scenario in scenarios { check(scenario.steps, variables: variables, into: &found) }
        return found
    }

    private static func check(
        _ steps: [Step], variables: VariableStore, into found: inout [Diagnostic], authenticated: Bool = false
    ) {
        // Whether a mutual_authenticate step came before: a protected step without one cannot run.
        var authenticated = authenticated
        for step in steps {
            let protection = step.protection
            if !authenticated, protection.secure == true || protection.tamper != nil || protection.replayPrevious {
                found.append(
                    Diagnostic(
                        "this step is sent in secure messaging, but no mutual_authenticate step comes before it",
                        at: step.location))
            }
            switch step.action {
            case .mutualAuthenticate(let setup):
                authenticated = true
                checkKeySeed(setup.key, variables, into: &found)
            case .installAP(let spec):
                checkKeySeed(spec.session.key, variables, into: &found)
                if let package = evaluate(spec.package, variables, into: &found) {
                    if package.first != 0x70 || (try? BERTLV.parseFirst(package)) == nil {
                        found.append(
                            Diagnostic(
                                "the package is not a BER-TLV 70 object (MCAP-1's AP package)",
                                at: spec.package.location))
                    } else if (package.count + spec.blockSize - 1) / spec.blockSize > 256 {
                        found.append(
                            Diagnostic(
                                "the package is \(package.count) bytes: more than 256 LOAD blocks of \(spec.blockSize)",
                                at: spec.package.location))
                    }
                }
            case .deleteAP(let session, _), .moveOut(let session):
                checkKeySeed(session.key, variables, into: &found)
            case .apdu(let template):
                guard let evaluated = evaluated(template, variables, into: &found) else { continue }
                do {
                    _ = try CommandAPDU(bytes: evaluated.bytes)
                } catch {
                    // The decoder quotes bytes (an Lc); when some came from a PIN or the environment, say less.
                    let detail =
                        evaluated.hasSecret
                        ? "its \(evaluated.bytes.count) bytes include a secret value, so no byte is shown; check the "
                            + "Lc against the secret's length"
                        : error.description
                    found.append(Diagnostic("not a well-formed command APDU: \(detail)", at: template.location))
                }
            case .selectFile(let fid), .verify(.some(let fid), _), .changePIN(.some(let fid), _),
                .read(.some(let fid), _), .sign(.some(let fid), _):
                if let bytes = evaluate(fid, variables, into: &found), bytes.count != 2 {
                    found.append(
                        Diagnostic("a file identifier is 2 bytes; this one is \(bytes.count)", at: fid.location))
                }
            case .repeatSteps(_, let inner):
                check(inner, variables: variables, into: &found, authenticated: authenticated)
            default:
                continue
            }
        }
    }

    private static func checkKeySeed(_ key: Template, _ variables: VariableStore, into found: inout [Diagnostic]) {
        if let bytes = evaluate(key, variables, into: &found), bytes.count != 16 {
            found.append(Diagnostic("a key seed is 16 bytes; this one is \(bytes.count)", at: key.location))
        }
    }

    /// The template's bytes when every variable it reads is known without a card; nil otherwise. A template that
    /// cannot be evaluated although all it reads is known (a number that does not fit a byte) is a problem now.
    private static func evaluate(_ template: Template, _ variables: VariableStore, into found: inout [Diagnostic])
        -> [UInt8]?
    {
        evaluated(template, variables, into: &found)?.bytes
    }

    private static func evaluated(
        _ template: Template, _ variables: VariableStore, into found: inout [Diagnostic]
    ) -> EvaluatedBytes? {
        // A literal that is not hex was reported by the parser, at the culprit's column; evaluating would say it
        // again at the value's start.
        for case .literal(let text, _) in template.parts where (try? Hex.decode(text)) == nil { return nil }
        for (path, _) in template.variables {
            switch path.first {
            case "card": if variables.card[path.joined(separator: ".")] == nil { return nil }
            case "env": if variables.environment[path[1]] == nil { return nil }
            default: return nil
            }
        }
        var evaluator = TemplateEvaluator(store: variables, random: SeededRandomSource(seed: 0))
        do {
            return try evaluator.hex(template)
        } catch {
            found.append(Diagnostic(error.message, at: error.location))
            return nil
        }
    }
}
