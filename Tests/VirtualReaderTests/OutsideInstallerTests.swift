import CardEmulator
import Foundation
import TestSupport
import Testing
import Transport

/// The free area through the real pcscd and vpcd (MCAP-1, an assumption): an outside installer
/// (scripts/card-ap-installer, Python over pyscard and pyca/cryptography, sharing no code with mynaconf) drives
/// `mynaconf emulate --install-report`, which reports the install phases it saw; a deliberately slow installer misses
/// its budget; and the card-ap suite passes through the reader. Nested in the interop suite: one pcscd, serialized.
extension InteropTests {
    @Suite("The free area through the virtual reader: an outside installer, install reports, the card-ap suite")
    struct OutsideInstaller {
        let fixture: VirtualReaderFixture
        let reader1 = VirtualReaderFixture.reader1

        init() throws {
            fixture = try VirtualReaderFixture.shared()
            try fixture.restoreCards()
        }

        func scratch() throws -> String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("installer-\(UUID().uuidString)")
                .path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }

        /// A package, as an installer's operator would be given it; the key goes in `installer`'s environment.
        func installerArguments(_ package: String) throws -> [String] {
            let variables = try #require(try defaultProfile().freeArea?.cardVariables)
            return [
                "--reader", reader1, "--region", "extended",
                "--package", try #require(variables["card.free_area.packages.\(package)"]),
            ]
        }

        /// The default card's extended-region key, as 32 hex digits.
        func extendedKey() throws -> String {
            try #require(try defaultProfile().freeArea?.cardVariables["card.free_area.extended.key"])
        }

        /// Runs `body` with an emulator of its own on slot 1 (started with `arguments`), then stops it and returns its
        /// exit status; the fixture's card goes back in, whatever happens.
        func withOwnEmulator(_ arguments: [String], _ body: () async throws -> Void) async throws -> (Int32, String) {
            let main = fixture.emulator
            let line = "removed port=\(fixture.port + 1)"
            let removed = main.count(line)
            main.send("remove 1")
            _ = try main.waitForLine(line, count: removed + 1)
            _ = try await PCSCChannel.waitForRemoval(from: reader1, timeout: .seconds(5))
            let own = try EmulatorProcess(
                arguments: ["--port", String(fixture.port), "--slot", "1", "--card", "default"] + arguments,
                environment: fixture.environment)
            let inserted = main.count("inserted")
            func putBack() async throws {
                main.send("insert 1")
                _ = try main.waitForLine("inserted", count: inserted + 1)
                _ = try await PCSCChannel.waitForCard(in: reader1, timeout: .seconds(5))
            }
            do {
                _ = try own.waitForLine("ready")
                _ = try await PCSCChannel.waitForCard(in: reader1, timeout: .seconds(5))
                try await body()
            } catch {
                own.stop()
                try? await putBack()
                throw error
            }
            let status = own.stop()
            let standardError = own.standardError
            try await putBack()
            return (status, standardError)
        }

        /// The key goes through MYNACONF_REGION_KEY: never on a command line, where `ps` shows it.
        func installer(_ arguments: [String]) async throws -> ProgramRun {
            try await runTool(
                "/usr/bin/python3", ["\(repositoryRoot)/scripts/card-ap-installer"] + arguments,
                environment: fixture.environment.merging(["MYNACONF_REGION_KEY": try extendedKey()]) { $1 },
                timeout: .seconds(120))
        }

        @Test("The installer takes the key from --key-file too, and refuses --key on the command line")
        func keySources() async throws {
            let directory = try scratch()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let keyFile = "\(directory)/region.key"
            try (try extendedKey() + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
            let arguments = try installerArguments("evacuee-record")
            let script = "\(repositoryRoot)/scripts/card-ap-installer"
            let (status, standardError) = try await withOwnEmulator([]) {
                let result = try await runTool(
                    "/usr/bin/python3", [script] + arguments + ["--key-file", keyFile],
                    environment: fixture.environment, timeout: .seconds(120))
                #expect(result.status == 0, "\(result)")
                #expect(result.stdout.hasPrefix("installed F04D594E414401"), "\(result)")
            }
            #expect(status == 0, "\(standardError)")
            let key = try extendedKey()
            let onCommandLine = try await runTool(
                "/usr/bin/python3", [script] + arguments + ["--key", key], environment: fixture.environment)
            #expect(onCommandLine.status == 2 && onCommandLine.stderr.contains("MYNACONF_REGION_KEY"))
            #expect(!onCommandLine.stderr.contains(key))
            let none = try await runTool("/usr/bin/python3", [script] + arguments, environment: fixture.environment)
            #expect(none.status == 2 && none.stderr.contains("no region key"), "\(none)")
        }

        @Test("An outside installer's three installs: every phase in the report with n, p50, p95, max, within budget")
        func outsideInstallerReport() async throws {
            let directory = try scratch()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let json = "\(directory)/install.json"
            let junit = "\(directory)/install.xml"
            let arguments = try installerArguments("evacuee-record")
            let (status, standardError) = try await withOwnEmulator([
                "--install-report", json, "--install-junit", junit,
            ]) {
                let result = try await installer(arguments + ["--count", "3", "--block-size", "64"])
                #expect(result.status == 0, "\(result)")
                #expect(
                    result.stdout.split(separator: "\n").filter { $0.hasPrefix("installed F04D594E414401") }.count == 3)
            }
            #expect(status == 0, "\(standardError)")
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            #expect(report["cardApProfile"] as? String == "mynaconf MCAP-1 (assumption)")
            #expect(report["completeInstalls"] as? Int == 3)
            #expect(report["passed"] as? Bool == true)
            let phases = try #require(report["phases"] as? [[String: Any]])
            #expect(
                phases.compactMap { $0["phase"] as? String } == [
                    "authentication", "region_creation", "download", "user_id", "activation", "install",
                ])
            // The region is created once per card: one sample; every other phase one per install.
            #expect(phases.first { $0["phase"] as? String == "region_creation" }?["n"] as? Int == 1)
            #expect(phases.first { $0["phase"] as? String == "download" }?["n"] as? Int == 3)
            #expect(phases.first { $0["phase"] as? String == "download" }?["budgetMs"] as? Double == 52_500)
            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            #expect(xml.contains("<testcase classname=\"install-timings\" name=\"download\""))
            #expect(xml.contains("failures=\"0\""))
        }

        @Test("A deliberately slow installer (300 ms between LOAD blocks) misses a 200 ms download budget: exit 1")
        func slowInstallerFails() async throws {
            let directory = try scratch()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let json = "\(directory)/install.json"
            let arguments = try installerArguments("library-card")
            let (status, standardError) = try await withOwnEmulator([
                "--install-report", json, "--install-budget", "download=200ms",
            ]) {
                let result = try await installer(arguments + ["--block-size", "64", "--pause-ms", "300"])
                #expect(result.status == 0, "\(result)")
            }
            #expect(status == 1, "\(standardError)")
            #expect(standardError.contains("OVER BUDGET"), "\(standardError)")
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let download = (report["phases"] as? [[String: Any]])?.first { $0["phase"] as? String == "download" }
            #expect(download?["withinBudget"] as? Bool == false)
            #expect((download?["maxMs"] as? Double ?? 0) >= 300)
            #expect(report["passed"] as? Bool == false)
        }

        @Test("The card-ap suite passes through the reader on the emulator, each scenario from the restored state")
        func cardApSuite() async throws {
            let result = try await runTool(
                mynaconfBinary(),
                ["run", "Scenarios/card-ap", "--reader", VirtualReaderFixture.reader0, "--card", "default"],
                environment: fixture.environment, timeout: .seconds(180))
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("18 passed, 0 failed"), "\(result.stdout)")
        }
    }
}
