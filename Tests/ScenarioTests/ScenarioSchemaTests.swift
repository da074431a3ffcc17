// The JSON Schema for scenario files (docs/schemas/scenario-v1.schema.json), checked as editors use it: the YAML
// read under YAML 1.2 (the VS Code YAML extension's default) and under YAML 1.1 (PyYAML's rules, so `yes` is a
// boolean and `0017` an octal number), then validated with Debian's python3-jsonschema. The schema must accept
// every file lint accepts and refuse what a schema can see; the parser stays the source of truth for keys.
import Foundation
import TestSupport
import Testing

@testable import Scenario

let repositoryFolder = URL(fileURLWithPath: repositoryRoot)
let scenarioSchema = repositoryFolder.appendingPathComponent("docs/schemas/scenario-v1.schema.json")

/// Broken files whose problem is in the YAML itself: every YAML tool, the editor's included, reports them before a
/// schema applies. The check loads them and expects the load to fail.
let brokenAsYAML: [String: String] = [
    "bad-indent.yaml": "a sequence indented under a sequence is a YAML syntax error",
    "tab.yaml": "YAML forbids tabs in indentation",
    "duplicate-key.yaml":
        "YAML forbids a key twice in a mapping (the VS Code YAML extension: 'Map keys must be unique')",
]

/// Broken files that are valid YAML and valid under the schema: only mynaconf's parser and lint can see the
/// problem. The check expects the schema to accept them, so this list stays exact.
let brokenOnlyForTheParser: [String: String] = [
    "byte-overflow.yaml": "a number in an expression fits a byte or not once the APDU is built from it",
    "duplicate-id-a.yaml": "ids must be unique across files; a schema sees one file",
    "duplicate-id-b.yaml": "ids must be unique across files; a schema sees one file",
    "lc-mismatch.yaml": "Lc against the data that follows needs the APDU's bytes counted",
    "missing-card.yaml": "whether a card profile exists is a question for the file system",
    "unterminated.yaml": "parentheses inside ${...} must balance, and a regular expression cannot count them",
    "nested-repeat.yaml": "the bound is on the product of nested repeats' times, which a schema cannot multiply",
    "long-wait.yaml": "waits add up across the file, repeats multiplied; a schema sees each value alone",
    "deep-template.yaml": "how deep calls nest inside ${...} needs parentheses counted",
    "concat-bomb.yaml": "the size of a template's value is known once it is evaluated",
]

/// What the check script says of one file under one reading of YAML.
struct SchemaVerdict: Decodable, Equatable {
    /// `valid`, `invalid` (the schema refuses it) or `yaml` (it does not load).
    var status: String
    var detail: String
}

/// The check: each file read under YAML 1.2's core schema and under YAML 1.1, with libyaml (as mynaconf's Yams) and
/// duplicate keys refused, then validated against the schema (draft-07). Prints one JSON object:
/// path → {"1.2": verdict, "1.1": verdict}.
let schemaCheckScript = #"""
    import json, re, sys, yaml, jsonschema

    class Core12(yaml.CSafeLoader):
        """YAML 1.2 core schema: only true/false are booleans, 0017 is 17, 6E00 is a float."""
    Core12.yaml_implicit_resolvers = {}
    for tag, pattern, first in [
        ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
        ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
        ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
         list("-+.0123456789")),
    ]:
        Core12.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(pattern), first)
    def core_int(loader, node):
        text = loader.construct_scalar(node)
        if text.startswith("0o"): return int(text[2:], 8)
        if text.startswith("0x"): return int(text[2:], 16)
        return int(text, 10)
    Core12.add_constructor("tag:yaml.org,2002:int", core_int)

    class Yaml11(yaml.CSafeLoader):
        """PyYAML's YAML 1.1 rules; dates stay text, as JSON has no dates."""
    Yaml11.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))

    def unique_keys(loader, node, deep=False):
        keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
        for key in keys:
            if keys.count(key) > 1:
                raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % (key,), node.start_mark)
        return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep)
    for loader in (Core12, Yaml11):
        loader.construct_mapping = unique_keys

    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    results = {}
    for path in sys.argv[2:]:
        text = open(path, encoding="utf-8").read()
        results[path] = {}
        for name, loader in (("1.2", Core12), ("1.1", Yaml11)):
            try:
                document = yaml.load(text, Loader=loader)
            except yaml.YAMLError as error:
                results[path][name] = {"status": "yaml", "detail": " ".join(str(error).split())}
                continue
            errors = ["%s at %s" % (e.message, "/".join(map(str, e.absolute_path))) for e in validator.iter_errors(document)]
            results[path][name] = {"status": "invalid" if errors else "valid", "detail": "; ".join(errors)}
    print(json.dumps(results))
    """#

/// Runs the check on files; a missing python3-jsonschema or python3-yaml fails the test and names the package.
func checkAgainstSchema(_ paths: [String]) throws -> [String: [String: SchemaVerdict]] {
    // The check needs python3-yaml too: a missing one is named before it runs.
    _ = try runPython("", [], module: "yaml", debianPackage: "python3-yaml")
    let result = try runPython(
        schemaCheckScript, [scenarioSchema.path] + paths, module: "jsonschema", debianPackage: "python3-jsonschema")
    guard result.status == 0 else {
        Issue.record(Comment(rawValue: "the schema check failed to run: \(result.stderr)"))
        throw ProgramProblem(result.stderr)
    }
    return try JSONDecoder().decode([String: [String: SchemaVerdict]].self, from: Data(result.stdout.utf8))
}

/// Writes YAML texts to a fresh directory and checks them; the results come back in the texts' order.
func checkTexts(_ texts: [String]) throws -> [[String: SchemaVerdict]] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let paths = try texts.enumerated().map { index, text in
        let path = directory.appendingPathComponent("case-\(index).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
    let results = try checkAgainstSchema(paths)
    return paths.map { results[$0] ?? [:] }
}

/// A scenario around some steps, the way most test texts below need one.
func scenario(_ steps: String, header: String = "") -> String {
    "id: S\ntitle: t\n\(header)steps:\n\(steps)\n"
}

@Suite("JSON Schema for scenario files")
struct ScenarioSchemaTests {
    @Test("Every scenario in Scenarios/ is valid, read as YAML 1.2 and as YAML 1.1")
    func suiteIsValid() throws {
        let folder = repositoryFolder.appendingPathComponent("Scenarios")
        let files = (FileManager.default.subpaths(atPath: folder.path) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .map { folder.appendingPathComponent($0).path }
        #expect(files.count >= 17)
        let results = try checkAgainstSchema(files)
        for file in files {
            for reading in ["1.2", "1.1"] {
                #expect(
                    results[file]?[reading]?.status == "valid", "\(file) (YAML \(reading)): \(results[file] ?? [:])")
            }
        }
    }

    @Test("Every example in docs/scenario-language.md is valid, but the one broken on purpose, which is refused")
    func documentationExamples() throws {
        let text = try String(
            contentsOf: repositoryFolder.appendingPathComponent("docs/scenario-language.md"), encoding: .utf8)
        let blocks = text.components(separatedBy: "```yaml\n").dropFirst().map {
            String($0[..<($0.range(of: "```")?.lowerBound ?? $0.endIndex)])
        }
        #expect(blocks.count >= 25)
        let results = try checkTexts(blocks)
        for (block, result) in zip(blocks, results) {
            let expected = block.contains("Broken on purpose") ? "invalid" : "valid"
            for reading in ["1.2", "1.1"] {
                #expect(result[reading]?.status == expected, "\(block.prefix(80)) (YAML \(reading)): \(result)")
            }
        }
    }

    @Test("The broken corpus: each YAML file is refused as YAML, refused by the schema, or listed as parser-only")
    func brokenCorpus() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: brokenFolder)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 20)
        for name in Array(brokenAsYAML.keys) + Array(brokenOnlyForTheParser.keys) {
            #expect(files.contains(name), "\(name) is listed but not in Broken/")
        }
        let results = try checkAgainstSchema(files.map { "\(brokenFolder)/\($0)" })
        for name in files {
            let expected =
                brokenAsYAML[name] != nil ? "yaml" : brokenOnlyForTheParser[name] != nil ? "valid" : "invalid"
            for reading in ["1.2", "1.1"] {
                let verdict = results["\(brokenFolder)/\(name)"]?[reading]
                #expect(
                    verdict?.status == expected,
                    "\(name) (YAML \(reading)): expected \(expected), \(verdict.debugDescription)")
            }
        }
    }

    /// Values YAML types in surprising ways, and forms that are easy to get wrong: each must be judged by the
    /// schema as mynaconf's parser judges it.
    static let cases: [(text: String, valid: Bool)] = [
        // YAML 1.2 reads 6E00 as the number 6, 0018 as 18 and 9000 as a number: all are the text written to mynaconf.
        (scenario("  - apdu: 00 B0 00 00 01\n    expect: { sw: [6E00, 6D00, 9000, 63C?, any] }"), true),
        (scenario("  - select: { ef: 0018 }\n  - read: 0017\n  - read: { ef: 000A }"), true),
        (scenario("  - verify: { ef: \"0018\", pin: 0123 }", header: "destructive: yes\ninvasive: Off\n"), true),
        (
            scenario(
                "  - reset\n  - power_cycle\n  - reset: ~\n    capture: atr\n    expect: { data: 3B E0 00 FF 81 31 FE 45 14 }"
            ), true
        ),
        (scenario("  - select: 1234567890\n    expect: { sw: 6A82 }\n  - select: D3 92 F0 00 26 01 00 00 00 01"), true),
        (scenario("  - get_challenge: 5\n    capture: x\n  - select: { aid: \"${x}\" }"), true),
        (scenario("  - get_challenge: 8\n    expect: { length: 8..16, data: \"?? ?? ??  ??\" }"), true),
        (scenario("  - get_challenge: { length: \"256\" }\n    expect: { length: { min: 1 } }"), true),
        (scenario("  - wait: 0\n  - wait: { ms: 600000 }\n    expect: { max_ms: 10 }"), true),
        (
            scenario(
                "  - repeat:\n      times: 3\n      steps: [ { get_challenge: 8, capture: c } ]\n    expect: { p95_ms: 5, max_ms: 9 }"
            ), true
        ),
        (
            scenario(
                "  - read: \"000A\"\n    expect:\n      certificate: { valid_on: 2026-01-01, policies: [1.2.392.200149.8.5.1.3.30] }"
            ), true
        ),
        (scenario("  - sign: { key: \"0017\", data: '${digestinfo(sha256, \"}\")} ${lc(\"a\")}' }"), true),
        (scenario("  - verify: { pin: \"${env.MYNA_AUTH_PIN}\" }\n  - verify: { pin: \"${card.pins.sign}\" }"), true),
        (
            scenario("  - apdu: 00 B0 00 00 01\n    expect: { tlv: [ { path: 62/83, value: 00 0A }, { path: 30 } ] }"),
            true
        ),
        // The 券面 APs' forms: computed values, formats, a signature inside the record, a CV certificate's key.
        (scenario("  - get_challenge: 8\n    capture: c\n  - get_challenge: 8\n    expect: { data: \"${c}\" }"), true),
        (scenario("  - read: \"0001\"\n    expect: { data: \"?? ${sha256(\\\"x\\\")}\" }"), false),
        (
            scenario(
                "  - read: \"0002\"\n    expect: { tlv: [ { path: FF20/DF24, format: [digits, date], before: as_of }, { path: FF20/DF21, offset_table: yes }, { path: FF20, value: \"${sha256(\\\"x\\\")}\" } ] }"
            ), true
        ),
        (scenario("  - read: \"0002\"\n    expect: { tlv: [ { path: FF20, format: jpeg } ] }"), false),
        (scenario("  - read: \"0002\"\n    expect: { tlv: [ { path: FF20, not_before: 2026-13-01 } ] }"), false),
        (
            scenario(
                "  - get_challenge: 8\n    capture: k\n  - read: \"0003\"\n    expect: { signature: { public_key: \"${k}\", path: FF30/DF33, message: abc } }"
            ), true
        ),
        (
            scenario(
                "  - get_challenge: 8\n    capture: k\n  - read: \"0003\"\n    expect: { signature: { public_key: \"${k}\", certificate: \"${k}\", message: abc } }"
            ), false
        ),
        (scenario("  - read: \"0003\"\n    expect: { signature: { path: FF30/DF33, message: abc } }"), false),
        (
            scenario(
                "  - get_challenge: 8\n    capture: k\n  - read: \"000A\"\n    expect: { certificate: { not_valid_on: as_of, revocation: { issuer: \"${k}\", crl: a.crl, status: good } } }"
            ), true
        ),
        (
            scenario(
                "  - get_challenge: 8\n    capture: k\n  - read: \"000A\"\n    expect: { certificate: { revocation: { issuer: \"${k}\", status: good } } }"
            ), false
        ),
        (scenario("  - apdu: \"00:a4:04:0c\"\n  - apdu: |\n      00 A4 04 0C\n      05 D3 92 F0 00 26"), true),
        (scenario("  - reset: { anything: 1 }", header: "description: { notes: [a, b] }\n"), true),
        // Mistakes: each one is refused.
        (scenario("  - select: jpki\n    expect: { p95_ms: 10 }"), false),
        (scenario("  - wait: 10\n    capture: nothing"), false),
        (scenario("  - get_challenge: 8\n    capture: card"), false),
        (scenario("  - select: {}"), false),
        (scenario("  - select: jpky"), false),
        (scenario("  - get_challenge: 300"), false),
        (scenario("  - verify: ~"), false),
        (scenario("  - read: { ef: \"00 0A 0B\" }"), false),
        (scenario("  - read: { pattern: opensc, ef: \"0A\" }"), false),
        (scenario("  - verify: { pin: \"${env}\" }"), false),
        (scenario("  - verify: { pin: \"${card.pins.auth\" }"), false),
        (scenario("  - apdu: 00 B0 00 0"), false),
        (scenario("  - apdu: 00 B0 00 00 01\n    expect: { sw: 9000, data_regex: x, lenght: 1 }"), false),
        (
            scenario(
                "  - sign: { data: 00 }\n    expect: { signature: { certificate: 00, message: a, digest_info: 00 } }"),
            false
        ),
        (scenario("  - read: \"000A\"\n    expect: { certificate: { key_usage: [digitalSignatur] } }"), false),
        (scenario("  - read: \"000A\"\n    expect: { certificate: { valid_on: 2026-13-01 } }"), false),
        (scenario("  - repeat: { times: 0, steps: [reset] }"), false),
        (scenario("  - repeat: { times: 2, steps: [] }"), false),
        (scenario("  - reset", header: "requirement: A\nrequirements: [B]\n"), false),
        ("id: S\ntitle: t\nsteps: []\n", false),
        ("id: S Z\ntitle: t\nsteps: [reset]\n", false),
    ]

    @Test("Tricky values are judged as the parser judges them, under both YAML readings")
    func trickyValues() throws {
        let results = try checkTexts(Self.cases.map(\.text))
        for ((text, valid), result) in zip(Self.cases, results) {
            // The parser is the reference: the case table itself must agree with it.
            let parser = ScenarioParser()
            let parsed = parser.parse(file: "case.yaml", text: text)
            #expect((parsed != nil && parser.diagnostics.isEmpty) == valid, "parser: \(text)\n\(parser.diagnostics)")
            for reading in ["1.2", "1.1"] {
                #expect(
                    result[reading]?.status == (valid ? "valid" : "invalid"),
                    "schema (YAML \(reading)): \(text)\n\(result[reading]?.detail ?? "no result")")
            }
        }
    }

    @Test("Every function and card variable the language knows is accepted; a misspelt one is refused")
    func functionsAndVariables() throws {
        var texts: [String] = []
        for function in TemplateFunction.allCases {
            texts.append(scenario("  - verify: { pin: \"${\(function.rawValue)(\\\"x\\\")}\" }"))
            texts.append(scenario("  - verify: { pin: \"${\(function.rawValue)x(\\\"x\\\")}\" }"))
        }
        for variable in ScenarioLanguage.cardVariables {
            texts.append(scenario("  - verify: { pin: \"${\(variable)}\" }"))
            texts.append(scenario("  - verify: { pin: \"${\(variable)x}\" }"))
        }
        let results = try checkTexts(texts)
        for (index, (text, result)) in zip(texts, results).enumerated() {
            let expected = index.isMultiple(of: 2) ? "valid" : "invalid"
            #expect(result["1.2"]?.status == expected && result["1.1"]?.status == expected, "\(text): \(result)")
        }
    }

    @Test("The schema's keys are the parser's, at every place a mapping is read")
    func keysMatchTheParser() throws {
        let schema = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: scenarioSchema)) as? [String: Any])
        // Each text puts the unknown key `zzz` where the parser lists the keys it allows.
        let places: [(text: String, pointer: String)] = [
            ("zzz: 1\nid: S\ntitle: t\nsteps: [reset]\n", "/properties"),
            (scenario("  - { reset: ~, zzz: 1 }"), "/definitions/step/else/properties"),
            (scenario("  - { reset: ~, expect: { zzz: 1 } }"), "/definitions/expectation/properties"),
            (scenario("  - select: { zzz: 1 }"), "/definitions/step/else/properties/select/anyOf/4/properties"),
            (scenario("  - verify: { zzz: 1 }"), "/definitions/step/else/properties/verify/properties"),
            (scenario("  - change_pin: { zzz: 1 }"), "/definitions/step/else/properties/change_pin/properties"),
            (scenario("  - read: { zzz: 1 }"), "/definitions/step/else/properties/read/anyOf/1/properties"),
            (scenario("  - read_record: { zzz: 1 }"), "/definitions/step/else/properties/read_record/properties"),
            (scenario("  - sign: { zzz: 1 }"), "/definitions/step/else/properties/sign/properties"),
            (
                scenario("  - get_challenge: { zzz: 1 }"),
                "/definitions/step/else/properties/get_challenge/anyOf/1/properties"
            ),
            (scenario("  - wait: { zzz: 1 }"), "/definitions/step/else/properties/wait/anyOf/1/properties"),
            (scenario("  - repeat: { zzz: 1 }"), "/definitions/step/else/properties/repeat/properties"),
            (
                scenario("  - mutual_authenticate: { zzz: 1 }"),
                "/definitions/step/else/properties/mutual_authenticate/properties"
            ),
            (scenario("  - install_ap: { zzz: 1 }"), "/definitions/step/else/properties/install_ap/properties"),
            (
                scenario("  - install_ap: { budgets_ms: { zzz: 1 } }"),
                "/definitions/step/else/properties/install_ap/properties/budgets_ms/properties"
            ),
            (scenario("  - delete_ap: { zzz: 1 }"), "/definitions/step/else/properties/delete_ap/properties"),
            (
                scenario("  - install_ap: { commands: { zzz: 1 } }"),
                "/definitions/step/else/properties/install_ap/properties/commands/properties"
            ),
            (scenario("  - move_out: { zzz: 1 }"), "/definitions/step/else/properties/move_out/properties"),
            (scenario("  - { reset: ~, expect: { length: { zzz: 1 } } }"), "/definitions/length/properties"),
            (scenario("  - { reset: ~, expect: { tlv: [ { zzz: 1 } ] } }"), "/definitions/tlvExpectation/properties"),
            (
                scenario("  - { reset: ~, expect: { certificate: { zzz: 1 } } }"),
                "/definitions/certificateExpectation/properties"
            ),
            (
                scenario("  - { reset: ~, expect: { certificate: { subject: { zzz: 1 } } } }"),
                "/definitions/names/properties"
            ),
            (
                scenario("  - { reset: ~, expect: { signature: { zzz: 1 } } }"),
                "/definitions/signatureExpectation/properties"
            ),
        ]
        for (text, pointer) in places {
            let parser = ScenarioParser()
            _ = parser.parse(file: "keys.yaml", text: text)
            let message = try #require(
                parser.diagnostics.map(\.message).first { $0.contains("unknown key 'zzz'") }, "\(text)")
            let allowed = try #require(message.components(separatedBy: "allowed here: ").last)
                .components(separatedBy: ", ")
            let properties = try #require(node(at: pointer, in: schema) as? [String: Any], "\(pointer)")
            #expect(Set(properties.keys) == Set(allowed), "\(pointer): the parser allows \(allowed)")
        }
    }

    @Test("Enumerations are the language's: read patterns, application names, key usages, functions")
    func enumerations() throws {
        let schema = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: scenarioSchema)) as? [String: Any])
        let patterns = node(at: "/definitions/step/else/properties/read/anyOf/1/properties/pattern/enum", in: schema)
        #expect(patterns as? [String] == ReadPattern.allCases.map(\.rawValue))
        let applications = node(at: "/definitions/applicationName/enum", in: schema) as? [String]
        #expect(Set(applications ?? []) == Set(ScenarioLanguage.applications.keys))
        let usages = node(at: "/definitions/certificateExpectation/properties/key_usage/items/enum", in: schema)
        #expect(usages as? [String] == ScenarioParser.keyUsages)
        let reserved = node(at: "/definitions/captureName/not/enum", in: schema) as? [String]
        #expect(Set(reserved ?? []) == Set(["card", "env"] + TemplateFunction.allCases.map(\.rawValue)))
        let actions = (node(at: "/definitions/step/else/oneOf", in: schema) as? [[String: Any]])?
            .compactMap { ($0["required"] as? [String])?.first }
        #expect(actions == ScenarioParser.actionKeys)
    }

    @Test("Every pattern compiles as ECMAScript with the u flag, as editors run it, and answers as in Python")
    func patternsWorkInJavaScript() throws {
        let schema = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: scenarioSchema)) as? [String: Any])
        var patterns: [String] = []
        collectPatterns(schema, into: &patterns)
        #expect(patterns.count >= 20)
        let samples = [
            "00 B0 00 00 ${sha512(\"x\")}", "00 B0 00 00 ${sha256(\"x\")}", "${card.pins.auht}", "${card.pins.auth}",
            "${env}", "${env.PIN}", "${lc(\"a\"", "${hex(\")\")}", "00 A4 0G 0C", "00a4 040c", "${x} 00 ${y}",
            "63C?", "6e 00", "any", "30 82 ?? ??", "0018", "62/83", "JPKI-PIN-01", "bad id", "yes", "maybe",
        ]
        // Python's answers first: jsonschema's `pattern` is re.search, as ECMAScript's is RegExp.test.
        let python = try runTool(
            "/usr/bin/python3",
            [
                "-c",
                "import json, re, sys; p, s = json.loads(sys.argv[1]), json.loads(sys.argv[2]); "
                    + "print(json.dumps([[bool(re.search(x, y)) for y in s] for x in p]))",
                String(decoding: try JSONSerialization.data(withJSONObject: patterns), as: UTF8.self),
                String(decoding: try JSONSerialization.data(withJSONObject: samples), as: UTF8.self),
            ], debianPackage: "python3")
        let expected = try JSONDecoder().decode([[Bool]].self, from: Data(python.stdout.utf8))

        let payload = String(
            decoding: try JSONSerialization.data(withJSONObject: ["patterns": patterns, "samples": samples]),
            as: UTF8.self
        ).replacingOccurrences(of: "</", with: "<\\/")
        let page = """
            <!DOCTYPE html><html><body><pre id="out">not run</pre><script>
            const input = \(payload);
            const rows = input.patterns.map(p => {
              try { const r = new RegExp(p, "u"); return input.samples.map(s => r.test(s)); }
              catch (e) { return "cannot compile " + p + ": " + e.message; }
            });
            // The markers are split so that the script's own text, also in the dumped DOM, does not hold them.
            document.getElementById("out").textContent = "RES" + "ULT" + JSON.stringify(rows) + "E" + "ND";
            </script></body></html>
            """
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("regex-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("patterns.html")
        try page.write(to: file, atomically: true, encoding: .utf8)
        let dom = try headlessChromium(["--dump-dom", file.absoluteString], profile: directory)
        let json = try #require(
            dom.stdout.components(separatedBy: "RESULT").dropFirst().first?.components(separatedBy: "END").first,
            "\(dom.stdout.suffix(500))\(dom.stderr.suffix(1000))")
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any]
        let rows = try #require(decoded, "\(json)")
        #expect(rows.count == patterns.count)
        for (pattern, (row, python)) in zip(patterns, zip(rows, expected)) {
            #expect(row as? [Bool] == python, "\(pattern): V8 \(row), Python \(python)")
        }
    }
}

/// The node a JSON pointer (`/a/0/b`) names.
func node(at pointer: String, in root: Any) -> Any? {
    var current: Any? = root
    for part in pointer.split(separator: "/").map(String.init) {
        if let object = current as? [String: Any] {
            current = object[part]
        } else if let array = current as? [Any], let index = Int(part), array.indices.contains(index) {
            current = array[index]
        } else {
            return nil
        }
    }
    return current
}

func collectPatterns(_ value: Any, into patterns: inout [String]) {
    if let object = value as? [String: Any] {
        if let pattern = object["pattern"] as? String { patterns.append(pattern) }
        for key in object.keys.sorted() { collectPatterns(object[key]!, into: &patterns) }
    } else if let array = value as? [Any] {
        for item in array { collectPatterns(item, into: &patterns) }
    }
}

/// Debian's Chromium, headless, with a private profile and no way off the machine; `timeout` ends it if it hangs.
func headlessChromium(_ arguments: [String], profile: URL) throws -> ProgramRun {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
        let message = "/usr/bin/chromium is missing: install the Debian package chromium (`make test` does)"
        Issue.record(Comment(rawValue: message))
        throw ProgramProblem(message)
    }
    return try runTool(
        "/usr/bin/timeout",
        [
            "120", "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--user-data-dir=\(profile.appendingPathComponent("chromium-profile").path)", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
        ] + arguments, debianPackage: "coreutils")
}
