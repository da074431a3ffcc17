import Foundation
import TestSupport
import Testing
import Transport

/// `mynaconf run --reader` and `mynaconf vectors --reader` through the real pcscd and vpcd, against `mynaconf
/// emulate`: the JPKI suite from the restored state before each scenario, and each real-card rule with the emulator
/// declared a real card (no --card). Nested in the interop suite: one pcscd, serialized, shared with it.
extension InteropTests {
    @Suite("run and vectors --reader through the virtual reader")
    struct ReaderRuns {
        let fixture: VirtualReaderFixture
        let reader0 = VirtualReaderFixture.reader0
        let reader1 = VirtualReaderFixture.reader1
        /// The default profile's credentials, as a person would export them for a real card.
        static let credentials = [
            "MYNA_AUTH_PIN": "1234", "MYNA_SIGN_PASSWORD": "ABC123", "MYNA_TEXT_PIN": "1234", "MYNA_JUKI_PIN": "1234",
        ]
        /// A developer's own MYNA_* variables must not change an outcome.
        static let cleared = ["MYNA_AUTH_PIN": "", "MYNA_SIGN_PASSWORD": "", "MYNA_TEXT_PIN": "", "MYNA_JUKI_PIN": ""]

        init() throws {
            fixture = try VirtualReaderFixture.shared()
            try fixture.restoreCards()
        }

        func mynaconf(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(120))
            async throws -> ProgramRun
        {
            let merged = fixture.environment.merging(Self.cleared) { $1 }.merging(environment) { $1 }
            return try await runTool(mynaconfBinary(), arguments, environment: merged, timeout: timeout)
        }

        func scratch() throws -> String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("reader-run-\(UUID().uuidString)")
                .path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }

        func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

        /// The tries left of the auth PIN of the card in `reader`, by an empty VERIFY sent from this process.
        func authTriesLeft(in reader: String) async throws -> [UInt8] {
            let channel = try await PCSCChannel.connect(reader: reader)
            defer { Task { await channel.disconnect() } }
            _ = try await channel.transmit([0x00, 0xA4, 0x04, 0x0C, 0x0A] + jpkiAID)
            _ = try await channel.transmit([0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18])
            return try await channel.transmit([0x00, 0x20, 0x00, 0x80])
        }

        let jpkiAID: [UInt8] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]

        /// Takes the fixture's card out of slot 1 and runs `body` with an emulator of its own there (`arguments`
        /// say which card); the fixture's card goes back in, whatever happens.
        func withOwnCardOnSlot1(_ arguments: [String], _ body: (EmulatorProcess) async throws -> Void) async throws {
            let main = fixture.emulator
            let line = "removed port=\(fixture.port + 1)"
            let removed = main.count(line)
            main.send("remove 1")
            _ = try main.waitForLine(line, count: removed + 1)
            _ = try await PCSCChannel.waitForRemoval(from: reader1, timeout: .seconds(5))
            let own = try EmulatorProcess(
                arguments: ["--port", String(fixture.port), "--slot", "1"] + arguments, environment: fixture.environment
            )
            let inserted = main.count("inserted")
            func putBack() async throws {
                if own.process.isRunning { own.stop() }
                main.send("insert 1")
                _ = try main.waitForLine("inserted", count: inserted + 1)
                _ = try await PCSCChannel.waitForCard(in: reader1, timeout: .seconds(5))
            }
            do {
                _ = try own.waitForLine("ready")
                _ = try await PCSCChannel.waitForCard(in: reader1, timeout: .seconds(5))
                try await body(own)
            } catch {
                try? await putBack()
                throw error
            }
            try await putBack()
        }

        // MARK: - The JPKI suite on the emulator behind the reader

        @Test("The whole JPKI suite passes through the reader, each scenario from the restored profile state")
        func jpkiSuitePasses() async throws {
            let directory = try scratch()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let result = try await mynaconf(
                [
                    "run", "\(repositoryRoot)/Scenarios/jpki", "--reader", reader0, "--card", "default",
                    "--junit", "\(directory)/junit.xml", "--junit-dir", "\(directory)/suites",
                    "--json", "\(directory)/run.json", "--html", "\(directory)/run.html",
                ])
            #expect(result.status == 0, "\(result)")
            // Both lockout scenarios ran (they are not skipped on the emulator) and every later scenario passed:
            // the restore between them is what makes that possible.
            #expect(result.stdout.contains("✓ JPKI-AUTH-PIN-LOCKOUT"))
            #expect(result.stdout.contains("✓ JPKI-SIGN-PASSWORD-LOCKOUT"))
            #expect(!result.stdout.contains("skipped"), "\(result.stdout)")
            let closing = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect(closing.hasSuffix("passed, 0 failed"), "\(closing)")
            // After the run the card is as the profile made it: three tries of the auth PIN.
            #expect(try await authTriesLeft(in: reader0) == [0x63, 0xC3])

            // The evidence names the reader, the ATR read from the card, and why the firmware is unknown.
            let json = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/run.json")))
            let target = try #require((json as? [String: Any])?["target"] as? [String: Any])
            #expect(target["reader"] as? String == reader0)
            #expect(target["atr"] as? String == "3B E0 00 FF 81 31 FE 45 14")
            #expect(target["readerFirmware"] is NSNull)
            #expect((target["readerFirmwareNote"] as? String)?.contains("no USB descriptor") == true)
            #expect(target["realCard"] as? Bool == false)
            let junit = try read("\(directory)/junit.xml")
            #expect(junit.contains("<property name=\"reader\" value=\"\(reader0)\"/>"))
            #expect(junit.contains("<property name=\"reader.firmware\" value=\"unknown\"/>"))
            #expect(junit.contains("name=\"reader.firmware.note\" value=\"the virtual reader"))
            #expect(try read("\(directory)/run.html").contains("unknown: the virtual reader"))

            // The same validation as the in-process run's JUnit: both schemas and junitparser's counts.
            let schemas = URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent()
                .appendingPathComponent("shared/docs/junit-schemas").path
            let single = try await runTool(
                "xmllint", ["--noout", "--schema", "\(schemas)/junit-10.xsd", "\(directory)/junit.xml"])
            #expect(single.status == 0, "\(single)")
            let perSuite = try await runTool(
                "xmllint", ["--noout", "--schema", "\(schemas)/surefire-3.0.xsd", "\(directory)/suites/TEST-jpki.xml"])
            #expect(perSuite.status == 0, "\(perSuite)")
            let counts = try await runTool(
                "/usr/bin/python3",
                [
                    "-c",
                    """
                    import sys
                    from junitparser import JUnitXml, TestSuite
                    for path in sys.argv[1:]:
                        xml = JUnitXml.fromfile(path)
                        for s in ([xml] if isinstance(xml, TestSuite) else list(xml)):
                            print(s.name, s.tests, s.failures, s.errors, s.skipped, len(list(s)))
                    """,
                    "\(directory)/junit.xml", "\(directory)/suites/TEST-jpki.xml",
                ])
            #expect(counts.status == 0, "\(counts)")
            let scenarioCount = try FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/Scenarios/jpki")
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".scr") }.count
            let lines = counts.stdout.split(separator: "\n").map(String.init)
            #expect(lines == Array(repeating: "jpki \(scenarioCount) 0 0 0 \(scenarioCount)", count: 2), "\(counts)")

            // Testcase names are the same as the in-process run's, so results compare across targets.
            let inProcess = try await mynaconf(
                ["run", "\(repositoryRoot)/Scenarios/jpki", "--junit", "\(directory)/in-process.xml"])
            #expect(inProcess.status == 0, "\(inProcess)")
            #expect(try testcaseNames(read("\(directory)/in-process.xml")) == testcaseNames(junit))
        }

        func testcaseNames(_ xml: String) -> [String] {
            xml.components(separatedBy: "<testcase ").dropFirst().map { String($0.prefix { $0 != ">" }) }
                .map { $0.replacingOccurrences(of: #" time="[^"]*""#, with: "", options: .regularExpression) }
        }

        @Test(
            "--card names the profile emulate runs: another profile is refused (exit 3), and scenarios for other profiles are skipped"
        )
        func profileBehindReader() async throws {
            let wrong = try await mynaconf(
                [
                    "run", "\(repositoryRoot)/Scenarios/jpki/select-and-token.yaml", "--reader", reader0, "--card",
                    "second-card",
                ])
            #expect(wrong.status == 3, "\(wrong)")
            #expect(wrong.stderr.contains("runs another profile"), "\(wrong)")

            let directory = try scratch()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try "id: OTHER\ntitle: needs another card\ncard: auth-pin-blocked\nsteps:\n  - select: jpki\n"
                .write(toFile: "\(directory)/other.yaml", atomically: true, encoding: .utf8)
            let skipped = try await mynaconf(
                [
                    "run", "\(directory)/other.yaml", "\(repositoryRoot)/Scenarios/jpki/select-and-token.yaml",
                    "--reader", reader0, "--card", "default",
                ])
            #expect(skipped.status == 0, "\(skipped)")
            #expect(
                skipped.stdout.contains(
                    "needs the card profile 'auth-pin-blocked'; the emulator behind '\(reader0)' runs 'default'"))
            #expect(skipped.stdout.contains("1 passed, 0 failed, 1 skipped"))
        }

        @Test(
            "pcscd not running, a reader that is not there, an empty reader: exit 3 with what to do; --reader with --emulator: exit 2"
        )
        func environmentErrors() async throws {
            let suite = "\(repositoryRoot)/Scenarios/jpki/select-and-token.yaml"
            let noDaemon = try await mynaconf(
                ["run", suite, "--reader", reader0], environment: ["PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"])
            #expect(noDaemon.status == 3, "\(noDaemon)")
            #expect(noDaemon.stderr.contains("pcscd is not running"), "\(noDaemon)")

            let missing = try await mynaconf(["run", suite, "--reader", "No Such Reader 00 00"])
            #expect(missing.status == 3, "\(missing)")
            #expect(missing.stderr.contains("no reader of that name"), "\(missing)")
            #expect(
                missing.stderr.contains("'\(reader0)' (card present)"), "the readers there are are listed: \(missing)")

            let main = fixture.emulator
            let removed = main.count("removed port=\(fixture.port + 1)")
            let inserted = main.count("inserted")
            main.send("remove 1")
            _ = try main.waitForLine("removed port=\(fixture.port + 1)", count: removed + 1)
            _ = try await PCSCChannel.waitForRemoval(from: reader1, timeout: .seconds(5))
            let empty = try await mynaconf(["run", suite, "--reader", reader1])
            main.send("insert 1")
            _ = try main.waitForLine("inserted", count: inserted + 1)
            _ = try await PCSCChannel.waitForCard(in: reader1, timeout: .seconds(5))
            #expect(empty.status == 3, "\(empty)")
            #expect(empty.stderr.contains("no card in the reader"), "\(empty)")

            let both = try await mynaconf(["run", suite, "--reader", reader0, "--emulator"])
            #expect(both.status == 2, "\(both)")
            #expect(both.stderr.contains("--reader and --emulator are exclusive"))
        }

        // MARK: - The real-card rules, with the emulator behind the reader declared a real card (no --card)

        @Test(
            "Real card: credentials only from the environment; a scenario needing an unset one is skipped with its name"
        )
        func credentialsFromEnvironment() async throws {
            let scenario = "\(repositoryRoot)/Scenarios/jpki/sign-authentication-key.yaml"
            let without = try await mynaconf(["run", scenario, "--reader", reader0])
            #expect(without.status == 0, "\(without)")
            #expect(without.stdout.contains("skipped: needs MYNA_AUTH_PIN set in the environment"), "\(without)")
            #expect(without.stdout.contains("(a real card, ATR 3B E0 00 FF 81 31 FE 45 14"))
            let with = try await mynaconf(["run", scenario, "--reader", reader0], environment: Self.credentials)
            #expect(with.status == 0, "\(with)")
            #expect(with.stdout.contains("✓ JPKI-SIGN-AUTH"))
        }

        @Test(
            "Real card: destructive and invasive scenarios are refused without --allow-destructive, and spend nothing")
        func destructiveRefused() async throws {
            let scenarios = [
                "\(repositoryRoot)/Scenarios/jpki/auth-pin-lockout.yaml",
                "\(repositoryRoot)/Scenarios/jpki/key-extraction-auth.yaml",
            ]
            let refused = try await mynaconf(
                ["run"] + scenarios + ["--reader", reader0], environment: Self.credentials)
            #expect(refused.status == 0, "\(refused)")
            #expect(
                refused.stdout.contains(
                    "destructive (can spend PIN tries): refused on a real card without --allow-destructive"))
            #expect(
                refused.stdout.contains(
                    "invasive (attacks the card): refused on a real card without --allow-destructive"))
            #expect(try await authTriesLeft(in: reader0) == [0x63, 0xC3], "a refused scenario spends no try")

            let allowed = try await mynaconf(
                ["run", scenarios[0], "--reader", reader0, "--allow-destructive"], environment: Self.credentials)
            #expect(allowed.status == 0, "\(allowed)")
            #expect(allowed.stdout.contains("✓ JPKI-AUTH-PIN-LOCKOUT"))
            // A real card is not restored: the lockout stays, as it would on a person's card.
            #expect(try await authTriesLeft(in: reader0) == [0x63, 0xC0])
            try fixture.restoreCards()
        }

        @Test("Real card: with one try left the tries-left guard stops the scenario before the VERIFY")
        func triesLeftGuard() async throws {
            let directory = try scratch()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await withOwnCardOnSlot1(["--card", "auth-pin-one-try"]) { _ in
                let result = try await mynaconf(
                    [
                        "run", "\(repositoryRoot)/Scenarios/jpki/sign-authentication-key.yaml", "--reader", reader1,
                        "--json", "\(directory)/run.json",
                    ], environment: Self.credentials)
                #expect(result.status == 1, "\(result)")
                #expect(
                    result.stdout.contains("stopped before a PIN step on a real card: the credential has 1 try left"))
                let json = try read("\(directory)/run.json")
                #expect(json.contains("00 20 00 80\""), "the guard's empty VERIFY is in the transcript")
                #expect(!json.contains("00 20 00 80 04"), "the VERIFY with the PIN was never sent")
                #expect(try await authTriesLeft(in: reader1) == [0x63, 0xC1], "the last try is still there")
            }
        }

        @Test("Real card: another card appears mid-run; the run stops, exit 3, and the reports say why")
        func identityPinned() async throws {
            let directory = try scratch()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // The first scenario waits long enough for the card to be swapped under it; the second never runs.
            try "id: A-WAIT\ntitle: select, then wait\nsteps:\n  - select: jpki\n  - wait: 10000\n"
                .write(toFile: "\(directory)/a.yaml", atomically: true, encoding: .utf8)
            try "id: B-AFTER\ntitle: select after the swap\nsteps:\n  - select: jpki\n"
                .write(toFile: "\(directory)/b.yaml", atomically: true, encoding: .utf8)
            try await withOwnCardOnSlot1(["--card", "default"]) { own in
                async let run = mynaconf(
                    [
                        "run", "\(directory)/a.yaml", "\(directory)/b.yaml", "--reader", reader1,
                        "--json", "\(directory)/run.json", "--junit", "\(directory)/junit.xml",
                        "--html", "\(directory)/run.html",
                    ])
                // The run has the card once pcscd shows the reader in use; then the first scenario is waiting.
                try await waitUntilInUse(reader1)
                try await Task.sleep(for: .seconds(1))
                // The default card goes, the fixture's second card (another certificate) comes in its place.
                let main = fixture.emulator
                let inserted = main.count("inserted")
                own.stop()
                main.send("insert 1")
                _ = try main.waitForLine("inserted", count: inserted + 1)
                let result = try await run
                #expect(result.status == 3, "\(result)")
                #expect(result.stderr.contains("stopped: another card is in '\(reader1)'"), "\(result)")
                #expect(result.stdout.contains("✓ A-WAIT"))
                #expect(!result.stdout.contains("B-AFTER"), "nothing runs on the other card")
                let json =
                    try JSONSerialization.jsonObject(
                        with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/run.json"))) as? [String: Any]
                let runFields = try #require(json?["run"] as? [String: Any])
                #expect(runFields["interrupted"] as? Bool == true)
                #expect((runFields["stopReason"] as? String)?.contains("another card is in") == true)
                #expect(
                    try read("\(directory)/junit.xml").contains("name=\"run.stop-reason\" value=\"another card is in"))
                #expect(try read("\(directory)/run.html").contains("Stopped because another card is in"))
            }
        }

        func waitUntilInUse(_ reader: String) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if let state = try await PCSCChannel.readers().first(where: { $0.name == reader }),
                    state.state.contains(.inUse)
                {
                    return
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw FixtureError("\(reader) was never in use: the run did not connect")
        }

        @Test(
            "Real card: the My Number, the holder's name and address and the signing certificate are masked in every report unless --show-personal-data"
        )
        func personalDataMasked() async throws {
            let directory = try scratch()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // Reads the text AP's My Number and attributes and the signing certificate (no persona values needed),
            // then fails on purpose: the HTML report shows the transcripts of failures only.
            try """
            id: READ-PERSONAL
            title: read the personal files, then fail
            steps:
              - select: text
              - verify: { ef: "0011", pin: "${card.pins.text}" }
              - select: { ef: "0001" }
              - apdu: 00 B0 00 00 11
              - read: { ef: "0002" }
              - select: jpki
              - verify: { ef: "001B", pin: "${card.pins.sign}" }
              - read: { ef: "0001" }
              - select: { ef: "0001" }
                expect: { sw: 6A82 }
            """.write(toFile: "\(directory)/personal.yaml", atomically: true, encoding: .utf8)
            let scenarios = ["\(directory)/personal.yaml", "\(repositoryRoot)/Scenarios/jpki/sign-signing-key.yaml"]
            func reports(_ name: String) -> [String] {
                [
                    "--junit", "\(directory)/\(name).xml", "--json", "\(directory)/\(name).json", "--html",
                    "\(directory)/\(name).html",
                ]
            }
            let masked = try await mynaconf(
                ["run"] + scenarios + ["--reader", reader0] + reports("masked"), environment: Self.credentials)
            #expect(masked.status == 1 && masked.stdout.contains("✗ READ-PERSONAL"), "\(masked)")
            let shown = try await mynaconf(
                ["run"] + scenarios + ["--reader", reader0, "--show-personal-data"] + reports("shown"),
                environment: Self.credentials)
            #expect(shown.status == 1 && shown.stdout.contains("✓ JPKI-SIGN-SIGNING"), "\(shown)")

            // As the transcripts write bytes: upper-case hex with spaces.
            func hex(_ text: String) -> String {
                text.utf8.map { String(format: "%02X", $0) }.joined(separator: " ")
            }
            let personal = [
                "My Number": hex("123456789018"), "name": hex("山田　太郎"), "address": hex("東京都千代田区千代田１－１"),
            ]
            for kind in ["xml", "json", "html"] {
                let hidden = try read("\(directory)/masked.\(kind)")
                let revealed = try read("\(directory)/shown.\(kind)")
                for (what, bytes) in personal {
                    #expect(!hidden.contains(bytes), "masked.\(kind) holds the \(what)")
                    #expect(revealed.contains(bytes), "shown.\(kind) lacks the \(what): the check could not fail")
                }
                // The signing certificate (30 82 …) is read from EF 0001 of the JPKI AP after the password.
                #expect(!hidden.contains("30 82 0"), "masked.\(kind) holds certificate bytes")
                #expect(revealed.contains("30 82 0"))
                #expect(hidden.contains("bytes of personal data"), "masked.\(kind) says what it withheld")
                for pin in [hex("1234") + "\"", hex("ABC123")] {
                    #expect(!hidden.contains(pin) && !revealed.contains(pin), "\(kind) holds a PIN")
                }
            }
        }

        // MARK: - readers: the firmware a run will record, shown before it

        @Test(
            "readers shows each vpcd reader's firmware as unknown with the reason, word for word what run --reader records"
        )
        func readersShowFirmware() async throws {
            let readers = try await mynaconf(["readers"])
            #expect(readers.status == 0, "\(readers)")
            let lines = readers.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            func firmwareLine(of reader: String) throws -> String {
                let index = try #require(lines.firstIndex { $0.hasPrefix("  \(reader): ") }, "\(readers)")
                let next = try #require(lines.dropFirst(index + 1).first, "\(readers)")
                return next
            }
            // No USB CCID reader here (CI, containers); with one plugged in, none is named after vpcd's reader.
            let reasons = [
                "no USB CCID reader is visible on this machine (a virtual or network reader has no USB descriptor)",
                "USB CCID reader(s) visible has a product name that begins '\(reader0)' (a virtual or network "
                    + "reader has no USB descriptor)",
            ]
            let line0 = try firmwareLine(of: reader0)
            #expect(line0.hasPrefix("    firmware unknown: "), "\(readers)")
            #expect(reasons.contains { line0.hasSuffix($0) }, "\(line0)")
            let line1 = try firmwareLine(of: reader1)
            #expect(line1.hasPrefix("    firmware unknown: "), "\(readers)")

            // The run on that reader (a real card: no --card) records the same version and the same words.
            let directory = try scratch()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let run = try await mynaconf(
                [
                    "run", "\(repositoryRoot)/Scenarios/jpki/select-and-token.yaml", "--reader", reader0, "--json",
                    "\(directory)/run.json",
                ])
            #expect(run.status == 0, "\(run)")
            let json = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/run.json")))
            let target = try #require((json as? [String: Any])?["target"] as? [String: Any])
            #expect(target["readerFirmware"] is NSNull)
            let note = try #require(target["readerFirmwareNote"] as? String)
            #expect(line0 == "    firmware unknown: \(note)")
        }

        // MARK: - vectors --reader

        @Test(
            "vectors --reader: the card signs every valid message of the verification file; PIN only from MYNA_AUTH_PIN"
        )
        func vectorsOnReader() async throws {
            let file = "\(repositoryRoot)/Vectors/crypto/wycheproof/rsa_signature_2048_sha256_test.json"
            let missing = try await mynaconf(["vectors", file, "--reader", reader0])
            #expect(missing.status == 2, "\(missing)")
            #expect(missing.stderr.contains("set MYNA_AUTH_PIN"), "\(missing)")

            let result = try await mynaconf(
                ["vectors", file, "--reader", reader0], environment: ["MYNA_AUTH_PIN": "1234"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("(on \(reader0)):"), "\(result.stdout)")
            let closing = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect(closing.hasSuffix(" passed, 0 failed") && !closing.hasPrefix("0 passed"), "\(closing)")
            #expect(!result.output.contains("1234"), "the PIN is never printed")

            // With one try left the guard stops before the VERIFY: nothing is spent (exit 3, the card cannot go on).
            try await withOwnCardOnSlot1(["--card", "auth-pin-one-try"]) { _ in
                let guarded = try await mynaconf(
                    ["vectors", file, "--reader", reader1], environment: ["MYNA_AUTH_PIN": "1234"])
                #expect(guarded.status == 3, "\(guarded)")
                #expect(guarded.stderr.contains("1 try left"), "\(guarded)")
                #expect(try await authTriesLeft(in: reader1) == [0x63, 0xC1])
            }
        }
    }
}
