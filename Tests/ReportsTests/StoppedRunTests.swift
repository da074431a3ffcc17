// A run through a PC/SC reader that another card stopped, with a reader whose firmware cannot be read: the two
// fields added to schema version 1 (stopReason, readerFirmwareNote) in every report, and absent otherwise.
import Foundation
import Runner
import Testing

@testable import Reports

@Suite("Reports of a stopped run on a reader without a USB descriptor")
struct StoppedRunTests {
    static let reason =
        "another card is in 'Virtual PCD 00 00': the run started with the card of certificate serial 012D57CA"
    static let note = "the virtual reader (vsmartcard vpcd, serving mynaconf emulate) has no USB descriptor"

    static var run: RunResult {
        var run = fixtureRun
        run.interrupted = true
        run.stopReason = reason
        run.target.reader = "Virtual PCD 00 00"
        run.target.readerFirmware = nil
        run.target.readerFirmwareNote = note
        return run
    }

    @Test("JSON: run.stopReason and target.readerFirmwareNote, valid under report-v1.schema.json")
    func json() throws {
        let rendered = JSONReport.render(Self.run)
        let result = try validateJSON([rendered])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: Any])
        let run = try #require(object["run"] as? [String: Any])
        let target = try #require(object["target"] as? [String: Any])
        #expect(run["stopReason"] as? String == Self.reason)
        #expect(run["interrupted"] as? Bool == true)
        #expect(target["readerFirmwareNote"] as? String == Self.note)
        #expect(target["readerFirmware"] is NSNull)
        // Absent when there is nothing to say, so earlier reports are unchanged.
        let plain = JSONReport.render(fixtureRun)
        #expect(!plain.contains("stopReason") && !plain.contains("readerFirmwareNote"))
    }

    @Test("JUnit: reader.firmware is 'unknown' with the note beside it, and run.stop-reason; valid under junit-10")
    func junit() throws {
        let properties = JUnitReport.properties(of: Self.run)
        let names = properties.map(\.0)
        #expect(properties.first { $0.0 == "reader.firmware" }?.1 == "unknown")
        #expect(properties.first { $0.0 == "reader.firmware.note" }?.1 == Self.note)
        #expect(properties.first { $0.0 == "run.stop-reason" }?.1 == Self.reason)
        #expect(names.firstIndex(of: "reader.firmware.note") == names.firstIndex(of: "reader.firmware")! + 1)
        let plain = JUnitReport.properties(of: fixtureRun).map(\.0)
        #expect(!plain.contains("reader.firmware.note") && !plain.contains("run.stop-reason"))
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("junit.xml")
        try ReportFile.writeAtomically(JUnitReport.render(Self.run), to: file.path)
        let result = try xmllint(schema: "junit-10.xsd", file)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("HTML and console say why the run stopped and why the firmware is unknown")
    func htmlAndConsole() {
        let page = HTMLReport.render(Self.run)
        #expect(page.contains("Stopped because another card is in"))
        #expect(page.contains("unknown: the virtual reader (vsmartcard vpcd, serving mynaconf emulate)"))
        let buffer = OutputBuffer()
        ConsoleReporter(colour: false) { buffer.append($0) }.summary(Self.run)
        #expect(buffer.calls.joined().contains("Stopped because \(Self.reason)"))
    }
}
