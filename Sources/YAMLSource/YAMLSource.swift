// YAMLSource: a YAML file read with its locations kept — typed access to its nodes where every problem is a
// `file:line:column: message` diagnostic. Card profiles and scenarios both read YAML through it; it knows neither.
import Yams

/// A place in a text file, 1-based as editors count.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem in an input file, rendered the way compilers do so editors and CI logs can link to it.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String

    public init(_ message: String, at location: SourceLocation?) {
        self.message = message
        self.location = location
    }

    public var description: String {
        guard let location else { return "error: \(message)" }
        return "\(location): error: \(message)"
    }
}

/// A YAML document and the file it came from.
public struct YAMLFile {
    public let path: String
    public let root: YAMLNode

    /// Reads and parses `path`. A missing file, bad UTF-8 or a YAML syntax error (duplicate keys included) is a
    /// diagnostic with the position libyaml reports.
    public static func load(path: String) throws(Diagnostic) -> YAMLFile {
        let text: String
        do {
            text = try readTextFile(path)
        } catch {
            throw error
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(Diagnostic) -> YAMLFile {
        let start = SourceLocation(file: path, line: 1, column: 1)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxDiagnostic(error, path: path)
        } catch {
            throw Diagnostic("YAML syntax: \(error)", at: start)
        }
        guard let node else { throw Diagnostic("the file is empty", at: start) }
        try refuseAliasBomb(node, path: path, limit: expansionAllowance + text.utf8.count)
        return YAMLFile(path: path, root: YAMLNode(node, file: path, path: ""))
    }

    /// How many values aliases may add beyond what the text itself can hold (a value takes at least a byte of text,
    /// so a file without aliases never comes near): enough for any honest reuse of an anchored block.
    public static let expansionAllowance = 100_000

    /// libyaml resolves `*alias` to the anchored node, so ten lines of nested aliases ("billion laughs") become
    /// billions of values that every later walk (lint, run) would visit for ever. Count the values as the readers
    /// will see them, and stop at `limit`.
    static func refuseAliasBomb(_ root: Node, path: String, limit: Int) throws(Diagnostic) {
        var pending = [root]
        var count = 0
        while let node = pending.popLast() {
            count += 1
            if count > limit {
                let mark = node.mark
                throw Diagnostic(
                    "aliases (*name) expand this document to more than \(limit) values, far more than its text holds "
                        + "(a \"billion laughs\" document?); write the repeated part out, or refer to it less often",
                    at: SourceLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1))
            }
            switch node {
            case .scalar, .alias: break
            case .sequence(let items): pending.append(contentsOf: items)
            case .mapping(let pairs):
                for (key, value) in pairs {
                    pending.append(key)
                    pending.append(value)
                }
            }
        }
    }

    private static func syntaxDiagnostic(_ error: YamlError, path: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: path, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return Diagnostic("YAML syntax: \(problem)", at: at(mark))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return Diagnostic("duplicate key \(keys) in this mapping", at: at(context.mark))
        case .reader(let problem, _, _, _):
            return Diagnostic("cannot read the text: \(problem)", at: SourceLocation(file: path, line: 1, column: 1))
        default:
            return Diagnostic("YAML: \(error)", at: SourceLocation(file: path, line: 1, column: 1))
        }
    }
}

/// A node of a YAML document, with its location and its path from the root (`jpki.auth_certificate.key`) so that
/// every message can say both where and what.
public struct YAMLNode {
    public let node: Node
    public let file: String
    public let path: String

    init(_ node: Node, file: String, path: String) {
        self.node = node
        self.file = file
        self.path = path
    }

    public var location: SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    public func error(_ message: String) -> Diagnostic {
        Diagnostic(path.isEmpty ? message : "\(path): \(message)", at: location)
    }

    /// An error at a character inside a one-line scalar (1-based `column` within its text), so a bad hex digit is
    /// pointed at exactly rather than at the start of the value.
    public func error(_ message: String, atColumnInValue column: Int) -> Diagnostic {
        guard case .scalar(let scalar) = node, !scalar.string.contains("\n") else { return error(message) }
        var place = location
        let opening = scalar.style == .singleQuoted || scalar.style == .doubleQuoted ? 1 : 0
        place.column += opening + column - 1
        return Diagnostic(path.isEmpty ? message : "\(path): \(message)", at: place)
    }

    private var kind: String {
        switch node {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The keys of a mapping as nodes (empty for anything else), to point at a key itself.
    public var keyNodes: [YAMLNode] {
        guard case .mapping(let pairs) = node else { return [] }
        return pairs.map { YAMLNode($0.key, file: file, path: path) }
    }

    /// The scalar's text exactly as written (so `0018` stays `0018`, not the number 18).
    public func string() throws(Diagnostic) -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a text value, found \(kind)") }
        return scalar.string
    }

    public func int(in range: ClosedRange<Int>) throws(Diagnostic) -> Int {
        let text = try string()
        guard let value = Int(text) else { throw error("expected a whole number, found '\(text)'") }
        guard range.contains(value) else {
            throw error("\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func bool() throws(Diagnostic) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error("expected true or false, found '\(other)'")
        }
    }

    /// One of a fixed set of words; the message lists them.
    public func choice(_ allowed: [String]) throws(Diagnostic) -> String {
        let text = try string()
        guard allowed.contains(text) else {
            throw error("'\(text)' is not one of: \(allowed.joined(separator: ", "))")
        }
        return text
    }

    public func sequence() throws(Diagnostic) -> [YAMLNode] {
        guard case .sequence(let items) = node else { throw error("expected a list, found \(kind)") }
        return items.enumerated().map { YAMLNode($1, file: file, path: "\(path)[\($0)]") }
    }

    /// The node as a mapping whose keys must all be in `allowed`; an unknown key is reported at the key itself,
    /// with the closest allowed key as a hint, because a misspelt key silently ignored is a test that lies.
    public func mapping(allowing allowed: [String]) throws(Diagnostic) -> YAMLMapping {
        var unknown: [Diagnostic] = []
        let mapping = try mapping(allowing: allowed, unknown: &unknown)
        if let first = unknown.first { throw first }
        return mapping
    }

    /// The same, but an unknown key is added to `unknown` and reading goes on, so the known keys' own mistakes are
    /// found too: every problem at once, as `lint` promises. A key that is a likely typo of an allowed one the mapping
    /// lacks is read as that one (`selekt:` as `select:`), so the typo is reported once, not again as a missing key.
    public func mapping(allowing allowed: [String], unknown: inout [Diagnostic]) throws(Diagnostic) -> YAMLMapping {
        guard case .mapping(let pairs) = node else { throw error("expected a mapping, found \(kind)") }
        let written = Set(pairs.compactMap { if case .scalar(let scalar) = $0.0 { scalar.string } else { nil } })
        var entries: [(key: String, keyNode: YAMLNode, value: YAMLNode)] = []
        for (keyNode, value) in pairs {
            let key = YAMLNode(keyNode, file: file, path: path)
            guard case .scalar(let scalar) = keyNode else { throw key.error("a key must be plain text") }
            let name = scalar.string
            let childPath = path.isEmpty ? name : "\(path).\(name)"
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)'"
                let hint = closest(to: name, in: allowed)
                if let hint { message += " (did you mean '\(hint)'?)" }
                message += "; allowed here: \(allowed.joined(separator: ", "))"
                unknown.append(key.error(message))
                if let hint, !written.contains(hint), !entries.contains(where: { $0.key == hint }) {
                    let hintPath = path.isEmpty ? hint : "\(path).\(hint)"
                    entries.append((hint, key, YAMLNode(value, file: file, path: hintPath)))
                }
                continue
            }
            entries.append((name, key, YAMLNode(value, file: file, path: childPath)))
        }
        return YAMLMapping(node: self, entries: entries)
    }
}

/// A mapping whose keys were checked against the allowed set.
public struct YAMLMapping {
    public let node: YAMLNode
    let entries: [(key: String, keyNode: YAMLNode, value: YAMLNode)]

    public subscript(key: String) -> YAMLNode? {
        entries.first { $0.key == key }?.value
    }

    public func required(_ key: String) throws(Diagnostic) -> YAMLNode {
        guard let value = self[key] else { throw node.error("missing key '\(key)'") }
        return value
    }

    public var keys: [String] { entries.map(\.key) }
}

/// The allowed word nearest to a misspelt one, if it is near enough to be a likely typo.
func closest(to word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
    guard let (candidate, distance) = scored, distance <= max(2, word.count / 3) else { return nil }
    return candidate
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
