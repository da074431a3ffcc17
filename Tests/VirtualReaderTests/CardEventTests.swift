import APDU
import CardEmulator
import Foundation
import TestSupport
import Testing
import Transport

extension InteropTests {
    /// Cards pulled out and put back, a card pulled mid-command, the contactless interface, real speed, pcscd
    /// restarting, and the ready-made CI script: the parts around the card, each with its own emulator on slot 1
    /// where it needs one.
    @Suite("Card events, contactless, real speed, pcscd restart")
    struct CardEvents {
        let fixture: VirtualReaderFixture
        let reader0 = VirtualReaderFixture.reader0
        let reader1 = VirtualReaderFixture.reader1

        init() throws {
            fixture = try VirtualReaderFixture.shared()
            try fixture.restoreCards()
        }

        func tool(_ name: String, _ arguments: [String]) async throws -> ProgramRun {
            try await runTool(name, arguments, environment: fixture.environment)
        }

        /// Takes the fixture's card out of slot 1, runs `body` with an emulator of its own there, and puts the
        /// fixture's card back, whatever happens.
        func withOwnEmulatorOnSlot1(_ arguments: [String], _ body: (EmulatorProcess) async throws -> Void)
            async throws
        {
            let main = fixture.emulator
            let line = "removed port=\(fixture.port + 1)"
            let removed = main.count(line)
            main.send("remove 1")
            _ = try main.waitForLine(line, count: removed + 1)
            _ = try await PCSCChannel.waitForRemoval(from: reader1, timeout: .seconds(5))
            let own = try EmulatorProcess(
                arguments: ["--port", String(fixture.port), "--slot", "1"] + arguments,
                environment: fixture.environment)
            let inserted = main.count("inserted")
            do {
                _ = try own.waitForLine("ready")
                _ = try await PCSCChannel.waitForCard(in: reader1, timeout: .seconds(5))
                try await body(own)
            } catch {
                own.stop()
                main.send("insert 1")
                _ = try? main.waitForLine("inserted", count: inserted + 1)
                throw error
            }
            #expect(own.stop() == 0, "emulate exits 0 on SIGTERM: \(own.standardError)")
            #expect(own.output.last == "stopped")
            // pcscd must see the slot empty before the next card comes, or it may take the new card for the old
            // one, caught half powered up, and leave it mute.
            _ = try await PCSCChannel.waitForRemoval(from: reader1, timeout: .seconds(30))
            main.send("insert 1")
            _ = try main.waitForLine("inserted", count: inserted + 1)
            _ = try await PCSCChannel.waitForCard(in: reader1, timeout: .seconds(5))
        }

        @Test("remove/insert on standard input: pcscd sees the card go and come back; a transmit in between fails")
        func removeAndInsertByStandardInput() async throws {
            let main = fixture.emulator
            let channel = try await PCSCChannel.connect(reader: reader1)
            #expect(try await channel.transmit(apdu("00A4040C0AD392F000260100000001")) == [0x90, 0x00])
            let removed = main.count("removed")
            main.send("remove 1")
            #expect(try main.waitForLine("removed", count: removed + 1) == "removed port=\(fixture.port + 1) slot=1")
            let empty = try await PCSCChannel.waitForRemoval(from: reader1, timeout: .seconds(5))
            #expect(empty.stateDescription == "no card" && empty.atr.isEmpty)
            do {
                _ = try await channel.transmit(apdu("00A4020C020018"))
                Issue.record("a command reached a card that was pulled out")
            } catch {
                #expect([.cardRemoved, .noCard].contains(error.kind), "\(error)")
                #expect(error.message.contains("removed") || error.message.contains("no card"), "\(error)")
            }
            let inserted = main.count("inserted")
            main.send("insert 1")
            #expect(try main.waitForLine("inserted", count: inserted + 1) == "inserted port=\(fixture.port + 1) slot=1")
            _ = try await PCSCChannel.waitForCard(in: reader1, timeout: .seconds(5))
            try await channel.reconnect()
            // Put back: powered up afresh, nothing selected.
            #expect(try await channel.transmit(apdu("00A4020C020018")) == [0x6A, 0x82])
            // The other card never noticed.
            let other = try await PCSCChannel.connect(reader: reader0)
            #expect(try await other.transmit(apdu("00A4040C0AD392F000260100000001")) == [0x90, 0x00])
        }

        @Test("SIGUSR1 pulls every card out, SIGUSR2 puts them back")
        func removeAndInsertBySignal() async throws {
            let main = fixture.emulator
            let (removed, inserted) = (main.count("removed"), main.count("inserted"))
            main.signal(SIGUSR1)
            _ = try main.waitForLine("removed", count: removed + 2)
            for reader in [reader0, reader1] {
                _ = try await PCSCChannel.waitForRemoval(from: reader, timeout: .seconds(5))
            }
            main.signal(SIGUSR2)
            _ = try main.waitForLine("inserted", count: inserted + 2)
            for reader in [reader0, reader1] { _ = try await PCSCChannel.waitForCard(in: reader, timeout: .seconds(5)) }
            let name = try await tool("opensc-tool", ["-r", reader0, "-n"])
            #expect(name.stdout.hasSuffix("jpki\n"), "\(name)")
        }

        @Test("A bad control line is reported with its line and column; the emulator carries on")
        func badControlLine() async throws {
            let main = fixture.emulator
            main.send("eject 0")
            main.send("remove 7")
            let deadline = Date(timeIntervalSinceNow: 5)
            while !main.standardError.contains("is not a slot") && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(main.standardError.contains(":1: error: unknown command 'eject'"), "\(main.standardError)")
            #expect(main.standardError.contains(":8: error: '7' is not a slot served here (0 or 1)"))
            main.send("status")
            #expect(
                try main.waitForLine("status port=\(fixture.port) slot=0")
                    == "status port=\(fixture.port) slot=0 card=default inserted")
        }

        @Test("A card pulled out in the middle of a 1-second signature: a clear error, no hang, no answer")
        func pulledMidCommand() async throws {
            try await withOwnEmulatorOnSlot1(["--speed", "real"]) { own in
                let channel = try await PCSCChannel.connect(reader: reader1)
                for hex in ["00A4040C0AD392F000260100000001", "00A4020C020018", "002000800431323334", "00A4020C020017"]
                {
                    #expect(try await channel.transmit(apdu(hex)) == [0x90, 0x00])
                }
                let digestInfo = DigestInfoBytes.sha256OfHello
                let sign = apdu("802A0080") + [UInt8(digestInfo.count)] + digestInfo + [0x00]
                let clock = ContinuousClock()
                let started = clock.now
                let signing = Task { () async -> Result<[UInt8], TransportError> in
                    do {
                        return .success(try await channel.transmit(sign))
                    } catch let error as TransportError {
                        return .failure(error)
                    } catch {
                        return .failure(TransportError(.other, "\(error)"))
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                own.send("remove")
                let outcome = await signing.value
                switch outcome {
                case .success(let answer):
                    Issue.record("the signature was answered (\(answer.count) bytes) although the card was pulled")
                case .failure(let error):
                    #expect(
                        [.cardRemoved, .noCard, .protocolError, .readerUnavailable].contains(error.kind), "\(error)")
                    #expect(error.message.contains("while sending a command"), "\(error)")
                    #expect(error.message.contains("pulled out"), "\(error)")
                }
                // No hang: the error comes as soon as pcscd notices, long before any timeout of its own.
                #expect(clock.now - started < .seconds(10))
                own.send("insert")
                _ = try own.waitForLine("inserted")
                // Powered up again by pcscd before the card goes (see withOwnEmulatorOnSlot1).
                _ = try await PCSCChannel.waitForCard(in: reader1, timeout: .seconds(30))
            }
        }

        @Test("--speed real: a signature takes the real card's time (0.5-1.5 s), a SELECT does not")
        func realSpeed() async throws {
            try await withOwnEmulatorOnSlot1(["--speed", "real"]) { _ in
                let channel = try await PCSCChannel.connect(reader: reader1)
                for hex in ["00A4040C0AD392F000260100000001", "00A4020C020018", "002000800431323334", "00A4020C020017"]
                {
                    _ = try await channel.transmit(apdu(hex))
                }
                let digestInfo = DigestInfoBytes.sha256OfHello
                let sign = apdu("802A0080") + [UInt8(digestInfo.count)] + digestInfo + [0x00]
                let clock = ContinuousClock()
                var answer: [UInt8] = []
                let elapsed = try await clock.measure { answer = try await channel.transmit(sign) }
                #expect(answer.count == 258 && answer.suffix(2) == [0x90, 0x00])
                // A lower bound only: the emulator must not be faster than the card it stands for.
                #expect(elapsed >= .milliseconds(900), "\(elapsed)")
            }
        }

        @Test(
            "Contactless: the reader's Type B ATR, OpenSC still finds jpki, FF CA gives the PUPI, 5F51 the contact ATR")
        func contactless() async throws {
            try await withOwnEmulatorOnSlot1(["--interface", "contactless"]) { own in
                #expect(try own.waitForLine("ready").contains("interface=contactless"))
                let atr = try await tool("opensc-tool", ["-r", reader1, "-a"])
                #expect(atr.stdout.contains("3b:88:80:01:00:00:05:e0:b3:81:a1:00:7f"), "\(atr)")
                // The ATR is not in OpenSC's jpki table: it finds the card through the AID probe.
                let name = try await tool("opensc-tool", ["-r", reader1, "-n"])
                #expect(name.stdout.hasSuffix("jpki\n"), "\(name)")
                let pupi = try await tool("opensc-tool", ["-r", reader1, "-c", "default", "-s", "FF:CA:00:00:00"])
                #expect(pupi.stdout.contains("Received (SW1=0x90, SW2=0x00)"), "\(pupi)")
                let profilePUPI = try defaultProfile().contactless.pupiBytes
                let channel = try await PCSCChannel.connect(reader: reader1)
                #expect(try await channel.transmit(apdu("FFCA000000")) == profilePUPI + [0x90, 0x00])
                #expect(
                    try await channel.transmit(apdu("00CA5F5100"))
                        == [0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14, 0x90, 0x00])
                let certificates = try await tool("pkcs15-tool", ["--reader", reader1, "--list-certificates"])
                #expect(certificates.stdout.contains("[User Authentication Certificate]"), "\(certificates)")
            }
        }

        @Test("pcscd stops and comes back: a clear error meanwhile, then the cards reconnect by themselves")
        func pcscdRestart() async throws {
            let main = fixture.emulator
            let channel = try await PCSCChannel.connect(reader: reader0)
            let (dropped, reconnected) = (main.count("disconnected"), main.count("reconnected"))
            try await fixture.stopDaemon()
            _ = try main.waitForLine("disconnected", count: dropped + 2)
            do {
                _ = try await channel.transmit(apdu("00A4040C0AD392F000260100000001"))
                Issue.record("a command went through with pcscd stopped")
            } catch {
                #expect([.noService, .readerUnavailable].contains(error.kind), "\(error)")
            }
            do {
                _ = try await PCSCChannel.readers()
                Issue.record("pcscd answered while stopped")
            } catch {
                #expect(error.kind == .noService && error.message.contains("pcscd is not running"), "\(error)")
            }
            try await fixture.restartDaemon()
            _ = try main.waitForLine("reconnected", count: reconnected + 2)
            for reader in [reader0, reader1] { _ = try await PCSCChannel.waitForCard(in: reader, timeout: .seconds(5)) }
            let name = try await tool("opensc-tool", ["-r", reader0, "-n"])
            #expect(name.stdout.hasSuffix("jpki\n"), "\(name)")
        }

        @Test("ci/start-virtual-card.sh starts its own pcscd and card on a free port pair, and stops them")
        func ciScript() async throws {
            let state = try scratchDirectory()
            defer { try? FileManager.default.removeItem(atPath: state) }
            let environment = ["MYNACONF": mynaconfBinary(), "MYNACONF_STATE_DIR": state]
            let script = "\(repositoryRoot)/ci/start-virtual-card.sh"
            let started = try await runTool(script, ["start"], environment: environment, timeout: .seconds(60))
            #expect(started.status == 0, "\(started)")
            var values: [String: String] = [:]
            for line in started.stdout.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { values[parts[0]] = parts[1] }
            }
            let stop = { try await runTool(script, ["stop"], environment: environment, timeout: .seconds(30)) }
            guard let socket = values["PCSCLITE_CSOCK_NAME"], let port = values["MYNACONF_VPCD_PORT"] else {
                _ = try await stop()
                Issue.record("no socket or port in \(started)")
                return
            }
            // This suite's pcscd holds the default pair, so the script must have chosen another.
            #expect(socket != fixture.socket && port != String(fixture.port), "\(started)")
            let name = try await runTool("opensc-tool", ["-n"], environment: ["PCSCLITE_CSOCK_NAME": socket])
            #expect(name.stdout.hasSuffix("jpki\n"), "\(name)")
            let pids = values.filter { $0.key.hasSuffix("_PID") }.compactMap { Int32($0.value) }
            #expect(pids.count == 2, "\(values)")
            let stopped = try await stop()
            #expect(stopped.status == 0, "\(stopped)")
            for pid in pids { #expect(!isRunning(pid), "process \(pid) still runs after stop") }
        }
    }
}

/// SHA-256("hello") as a DigestInfo: what pkcs11-tool's SHA256-RSA-PKCS sends to the card.
enum DigestInfoBytes {
    static let sha256OfHello: [UInt8] = try! Hex.decode(
        "3031300D060960864801650304020105000420"
            + "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824")
}

extension ContactlessSetting {
    var pupiBytes: [UInt8] {
        if case .fixed(let bytes) = pupi { return bytes }
        return []
    }
}

/// Whether `pid` is a live process; a zombie (ended, not yet reaped by its parent) is not.
func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
}
