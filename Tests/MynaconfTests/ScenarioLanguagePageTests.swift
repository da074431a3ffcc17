import Foundation
import TestSupport
import Testing

/// docs/scenario-language.md makes claims about the binary — this example passes, that one prints these lines — which
/// a schema check cannot see. Each example is saved under the name the page gives it and run as a reader would.
@Suite("docs/scenario-language.md against the binary", .serialized)
struct ScenarioLanguagePageTests {
    /// The page's fenced blocks of one language, in order, each with the text that follows it up to the next block.
    private static func blocks(_ language: String, in page: String) -> [(body: String, after: String)] {
        page.components(separatedBy: "```\(language)\n").dropFirst().map { chunk in
            let end = chunk.range(of: "```")?.lowerBound ?? chunk.endIndex
            return (String(chunk[..<end]), String(chunk[end...]))
        }
    }

    @Test("Every example does what the page says: passes, fails or is refused, with the output it quotes")
    func examples() throws {
        let page = try String(contentsOfFile: "\(repositoryRoot)/docs/scenario-language.md", encoding: .utf8)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("doc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let examples = Self.blocks("yaml", in: page)
        #expect(examples.count >= 30)
        for (body, after) in examples {
            let id = body.split(separator: "\n").first { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) } ?? ""
            // What the page quotes after an example, when it quotes output: the next text block.
            let quoted = after.components(separatedBy: "```text\n").dropFirst().first.map {
                String($0[..<($0.range(of: "```")?.lowerBound ?? $0.endIndex)])
            }
            if body.contains("Broken on purpose") {
                try body.write(toFile: "\(folder)/broken.yaml", atomically: true, encoding: .utf8)
                let lint = try run(["lint", "broken.yaml"], directory: folder)
                #expect(lint.status == 2)
                #expect(lint.stderr == quoted, "the page quotes other lint output than the binary prints")
                continue
            }
            let name =
                body.contains("Fails on purpose") ? "fails.yaml" : id == "DOC-FIRST" ? "first.yaml" : "\(id).yaml"
            try body.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
            let lint = try run(["lint", name], directory: folder)
            #expect(lint.status == 0, "\(id): \(lint.stderr)")
            let result = try runTool(
                mynaconfBinary(), ["run", name], environment: id == "DOC-VARIABLES" ? ["MYNA_AUTH_PIN": "1234"] : [:],
                unsetting: id == "DOC-VARIABLES" ? ["MYNACONF_OCSP_URL"] : ["MYNACONF_OCSP_URL", "MYNA_AUTH_PIN"],
                directory: folder)
            let closing = result.stdout.split(separator: "\n").last.map(String.init)
            switch id {
            case "DOC-FAILS":
                #expect(result.status == 1)
                // The failure's lines as quoted; the rest of the quoted run has times and dates of its own.
                let failure = quoted?.split(separator: "\n").dropFirst().prefix(4).joined(separator: "\n") ?? "?"
                #expect(result.stdout.contains(failure), "\(result.stdout)")
                #expect(closing == "0 passed, 1 failed")
            case "DOC-REVOCATION":
                #expect(result.status == 0)
                #expect(closing == "0 passed, 0 failed, 1 skipped")
            default:
                #expect(result.status == 0, "\(id): \(result.stdout)\(result.stderr)")
                #expect(closing == "1 passed, 0 failed", "\(id)")
            }
            if id == "DOC-FIRST", let quoted {
                #expect(quoted.hasPrefix(lint.stdout), "the first example's quoted lint line")
                #expect(quoted.hasSuffix("\n\(closing ?? "")\n"))
            }
        }
        let scripts = Self.blocks("scriptor", in: page)
        #expect(scripts.count == 1)
        for (body, _) in scripts {
            try body.write(toFile: "\(folder)/token.scr", atomically: true, encoding: .utf8)
            let result = try run(["run", "token.scr"], directory: folder)
            #expect(result.status == 0, "\(result.stdout)")
        }
    }
}
