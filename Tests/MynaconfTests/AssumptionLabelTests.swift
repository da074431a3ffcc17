import Foundation
import Testing

/// The free area's commands are our own profile (MCAP-1), not J-LIS's unpublished specification: every report of a
/// run that used them must say so, and a run that did not must not.
@Suite("Reports say when the free area's assumed command profile was used")
struct AssumptionLabelTests {
    @Test("A card-ap run labels JSON, JUnit, HTML and the console; a JPKI run labels none")
    func labelFollowsTheScenarios() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("label-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (scenario, labelled) in [
            ("Scenarios/card-ap/type-c-read.yaml", true), ("Scenarios/jpki/select-and-token.yaml", false),
        ] {
            let json = directory.appendingPathComponent("r.json").path
            let junit = directory.appendingPathComponent("j.xml").path
            let html = directory.appendingPathComponent("r.html").path
            let result = try run(["run", scenario, "--json", json, "--junit", junit, "--html", html])
            #expect(result.status == 0, "\(result.stderr)")
            let reports = try [json, junit, html].map { try String(contentsOfFile: $0, encoding: .utf8) }
            for (name, text) in zip(["JSON", "JUnit", "HTML", "console"], reports + [result.stdout]) {
                #expect(
                    text.contains("mynaconf MCAP-1 (assumption)") == labelled, "\(name) of \(scenario)")
            }
            #expect(reports[0].contains("\"cardApProfile\"") == labelled)
            #expect(reports[1].contains("name=\"card-ap.profile\"") == labelled)
        }
    }
}
