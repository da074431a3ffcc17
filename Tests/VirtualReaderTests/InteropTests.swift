import APDU
import CardCrypto
import CardEmulator
import Foundation
import Runner
import TestSupport
import Testing
import Transport

/// The default profile as the emulator loads it, for the bytes the card must return.
func defaultProfile() throws -> CardProfile {
    try CardProfile.load(path: "\(repositoryRoot)/Vectors/cards/default.yaml")
}

/// A command written as hex (a literal in a test: a typo is a test bug, so it traps).
func apdu(_ hex: String) -> [UInt8] { try! Hex.decode(hex) }

/// OpenSC's PKCS#11 module, wherever this machine's multiarch layout puts it.
func openscModule() throws -> String {
    let candidates = ["x86_64-linux-gnu", "aarch64-linux-gnu"].flatMap {
        ["/usr/lib/\($0)/opensc-pkcs11.so", "/usr/lib/\($0)/pkcs11/opensc-pkcs11.so"]
    }
    guard let module = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
        throw FixtureError("OpenSC's PKCS#11 module is missing (apt-get install opensc-pkcs11)")
    }
    return module
}

/// A scratch directory for one test's files.
func scratchDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-interop-\(UUID().uuidString)")
        .path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The interop suite: independent clients no one here wrote, through the real pcscd and vpcd, against
/// `mynaconf emulate`. Serialized: every test shares the one pcscd and the two emulated cards.
@Suite(
    "Virtual reader: OpenSC, pcsc-tools, pyscard and PCSCChannel through pcscd and vpcd", .serialized, .virtualReader)
struct InteropTests {
    let fixture: VirtualReaderFixture
    let reader0 = VirtualReaderFixture.reader0
    let reader1 = VirtualReaderFixture.reader1

    init() throws {
        fixture = try VirtualReaderFixture.shared()
        try fixture.restoreCards()
    }

    func tool(_ name: String, _ arguments: [String], input: String? = nil) async throws -> ProgramRun {
        try await runTool(name, arguments, environment: fixture.environment, input: input)
    }

    // MARK: - OpenSC

    @Test("opensc-tool -a shows the contact ATR and -n names the card jpki")
    func openscTool() async throws {
        let atr = try await tool("opensc-tool", ["-r", reader0, "-a"])
        #expect(atr.status == 0 && atr.stdout.contains("3b:e0:00:ff:81:31:fe:45:14"), "\(atr)")
        let name = try await tool("opensc-tool", ["-r", reader0, "-n"])
        #expect(name.status == 0 && name.stdout.split(separator: "\n").last == "jpki", "\(name)")
    }

    @Test("pkcs15-tool --list-certificates lists the user-authentication certificate with its serial")
    func pkcs15Certificates() async throws {
        let result = try await tool("pkcs15-tool", ["--reader", reader0, "--list-certificates"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("X.509 Certificate [User Authentication Certificate]"))
        #expect(result.stdout.contains("Encoded serial : 02 04 012D57CA"))
        #expect(result.stdout.contains("X.509 Certificate [Digital Signature Certificate]"))
        #expect(result.stdout.contains("X.509 Certificate [User Authentication Certificate CA]"))
    }

    @Test("pkcs11-tool -L shows the two JPKI tokens of each card")
    func pkcs11Tokens() async throws {
        let result = try await tool("pkcs11-tool", ["--module", try openscModule(), "-L"])
        #expect(result.status == 0, "\(result)")
        for reader in [reader0, reader1] {
            let slots = result.stdout.components(separatedBy: "Slot ").filter { $0.contains("): \(reader)") }
            let labels = slots.compactMap { slot in
                slot.split(separator: "\n").first { $0.contains("token label") }?.split(separator: ":").last
                    .map { $0.trimmingCharacters(in: .whitespaces) }
            }
            #expect(labels == ["JPKI (User Authentication PIN)", "JPKI (Digital Signature PIN)"], "\(result)")
        }
        #expect(
            result.stdout.contains("pin min/max        : 4/4") && result.stdout.contains("pin min/max        : 6/16"))
    }

    @Test("pkcs11-tool signs with the auth key after the PIN; openssl verifies with the certificate from the card")
    func signWithAuthenticationKey() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let message = "\(directory)/message"
        try "mynaconf interop: sign with the authentication key\n".write(
            toFile: message, atomically: true, encoding: .utf8)
        let sign = try await tool(
            "pkcs11-tool",
            [
                "--module", try openscModule(), "--slot-index", "0", "--login", "--pin", "1234", "--sign", "--id",
                "01", "-m", "SHA256-RSA-PKCS", "-i", message, "-o", "\(directory)/signature",
            ])
        #expect(sign.status == 0, "\(sign)")
        let certificate = try await tool("pkcs15-tool", ["--reader", reader0, "--read-certificate", "01"])
        #expect(certificate.stdout.hasPrefix("-----BEGIN CERTIFICATE-----"), "\(certificate)")
        try certificate.stdout.write(toFile: "\(directory)/auth.pem", atomically: true, encoding: .utf8)
        try await verify(message, signature: "\(directory)/signature", certificate: "\(directory)/auth.pem")
        // The certificate OpenSC read is the one the profile issued, byte for byte.
        let converted = try await tool(
            "openssl", ["x509", "-in", "\(directory)/auth.pem", "-outform", "DER", "-out", "\(directory)/auth.der"])
        #expect(converted.status == 0)
        let read = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/auth.der"))
        #expect(Array(read) == (try defaultProfile()).jpki.authenticationCertificate)
    }

    @Test("pkcs11-tool signs with the signing key after its password; openssl verifies with EF 0001's certificate")
    func signWithSigningKey() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let message = "\(directory)/message"
        try "mynaconf interop: sign with the signing key\n".write(toFile: message, atomically: true, encoding: .utf8)
        let module = try openscModule()
        let sign = try await tool(
            "pkcs11-tool",
            [
                "--module", module, "--slot-index", "1", "--login", "--pin", "ABC123", "--sign", "--id", "02", "-m",
                "SHA256-RSA-PKCS", "-i", message, "-o", "\(directory)/signature",
            ])
        #expect(sign.status == 0, "\(sign)")
        // The signing certificate needs the password too.
        let read = try await tool(
            "pkcs11-tool",
            [
                "--module", module, "--slot-index", "1", "--login", "--pin", "ABC123", "--read-object", "--type",
                "cert", "--id", "02", "-o", "\(directory)/sign.der",
            ])
        #expect(read.status == 0, "\(read)")
        let pem = try await tool(
            "openssl", ["x509", "-inform", "DER", "-in", "\(directory)/sign.der", "-out", "\(directory)/sign.pem"])
        #expect(pem.status == 0, "\(pem)")
        try await verify(message, signature: "\(directory)/signature", certificate: "\(directory)/sign.pem")
    }

    /// `openssl dgst -sha256 -verify` with the certificate's public key.
    func verify(_ message: String, signature: String, certificate: String) async throws {
        let key = try await tool("openssl", ["x509", "-in", certificate, "-pubkey", "-noout"])
        #expect(key.status == 0, "\(key)")
        let keyPath = certificate + ".pub"
        try key.stdout.write(toFile: keyPath, atomically: true, encoding: .utf8)
        let verified = try await tool(
            "openssl", ["dgst", "-sha256", "-verify", keyPath, "-signature", signature, message])
        #expect(verified.status == 0 && verified.stdout.contains("Verified OK"), "\(verified)")
    }

    @Test("Three wrong PINs through pkcs11-tool block the auth PIN; OpenSC then reports it locked")
    func wrongPINsBlock() async throws {
        let module = try openscModule()
        for _ in 0..<3 {
            let login = try await tool(
                "pkcs11-tool", ["--module", module, "--slot-index", "0", "--login", "--pin", "0000", "-O"])
            #expect(login.status != 0 && login.stderr.contains("CKR_PIN_INCORRECT"), "\(login)")
        }
        let tokens = try await tool("pkcs11-tool", ["--module", module, "-L"])
        let firstSlot = tokens.stdout.components(separatedBy: "Slot ").first { $0.contains("): \(reader0)") } ?? ""
        #expect(firstSlot.contains("user PIN locked"), "\(tokens)")
        let pins = try await tool("pkcs15-tool", ["--reader", reader0, "--list-pins"])
        let tries = pins.stdout.split(separator: "\n").filter { $0.contains("Tries left") }
            .map { $0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces) }
        #expect(tries == ["0", "5"], "\(pins)")
        // Even the right PIN is refused now: the card answers 69 84.
        let right = try await tool(
            "pkcs15-tool", ["--reader", reader0, "--verify-pin", "--auth-id", "01", "--pin", "1234"])
        #expect(right.status != 0, "\(right)")
        try fixture.restoreCards()
        let restored = try await tool("pkcs15-tool", ["--reader", reader0, "--list-pins"])
        #expect(restored.stdout.contains("Tries left     : 3"), "\(restored)")
    }

    // MARK: - pcsc-tools and pyscard

    @Test("pcsc_scan lists both readers and sees the cards' ATRs")
    func pcscScan() async throws {
        let list = try await tool("pcsc_scan", ["-r"])
        #expect(list.status == 0, "\(list)")
        #expect(list.stdout.contains("0: \(reader0)") && list.stdout.contains("1: \(reader1)"), "\(list)")
        let snapshot = try await tool("pcsc_scan", ["-c", "-n"])
        #expect(snapshot.status == 0, "\(snapshot)")
        #expect(snapshot.stdout.components(separatedBy: "Card inserted").count == 3, "\(snapshot)")
        #expect(snapshot.stdout.contains("ATR: 3B E0 00 FF 81 31 FE 45 14"), "\(snapshot)")
    }

    @Test("scriptor selects the JPKI AP and reads the token label from EF 0006")
    func scriptor() async throws {
        let script = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01\n00 A4 02 0C 02 00 06\n00 B0 00 00 20\n"
        let result = try await tool("scriptor", ["-r", reader0], input: script)
        #expect(result.status == 0, "\(result)")
        let answers = result.stdout.split(separator: "\n").filter { $0.hasPrefix("< ") }
        #expect(answers.count == 3, "\(result)")
        #expect(answers.prefix(2).allSatisfy { $0 == "< 90 00 : Normal processing." }, "\(result)")
        // "JPKIAPICCTOKEN2" (4A 50 4B 49 …) begins the label.
        #expect(result.stdout.contains("< 4A 50 4B 49 41 50 49 43 43 54 4F 4B 45 4E 32 20"), "\(result)")
    }

    @Test("A pyscard script reads the certificates with jpki/myna's chunk pattern, byte-identical to the profile's")
    func pyscard() async throws {
        let script = "\(repositoryRoot)/Tests/VirtualReaderTests/Scripts/read_certificates.py"
        // Debian's pyscard imports only under the system Python, not one another installation puts first on PATH.
        let result = try await tool("/usr/bin/python3", [script, reader0, "000A", "000B", "0002"])
        #expect(result.status == 0, "\(result)")
        var files: [String: [UInt8]] = [:]
        for line in result.stdout.split(separator: "\n") where !line.hasPrefix(">") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { files[String(parts[0])] = try Hex.decode(String(parts[1])) }
        }
        let jpki = try defaultProfile().jpki
        #expect(files["000A"] == jpki.authenticationCertificate)
        #expect(files["000B"] == jpki.authenticationCA)
        #expect(files["0002"] == jpki.signingCA)
        // The pattern itself: a 7-byte header read, then reads from offset 7.
        #expect(result.stdout.contains("> 00B0000007\n> 00B0000700\n"), "\(result)")
    }

    // MARK: - The harness's own PCSCChannel

    @Test("PCSCChannel passes the JPKI self-test, and every byte equals the in-process channel's")
    func pcscChannelMatchesInProcess() async throws {
        let profile = try defaultProfile()
        let card = SelfTestCard(authPIN: "1234", signPassword: "ABC123", asOf: profile.asOf)
        let pcsc = RecordingChannel(try await PCSCChannel.connect(reader: reader0))
        let local = RecordingChannel(EmulatedChannel(card: EmulatedCard(profile: profile)))
        let throughPCSC = await JPKISelfTest(channel: pcsc, card: card).run()
        let inProcess = await JPKISelfTest(channel: local, card: card).run()
        #expect(throughPCSC.allSatisfy { $0.passed }, "\(throughPCSC.filter { !$0.passed })")
        #expect(throughPCSC == inProcess)
        let (viaPCSC, viaProcess) = (await pcsc.exchanges, await local.exchanges)
        #expect(viaPCSC.count == viaProcess.count && viaPCSC.count > 40)
        if let index = zip(viaPCSC, viaProcess).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record(
                "exchange \(index) differs: PC/SC \(viaPCSC[index].masked) vs in-process \(viaProcess[index].masked)")
        }
        try fixture.restoreCards()
    }

    @Test("PCSCChannel: T=1, the ATR, restore through the reader-class command, and reconnect")
    func pcscChannelBasics() async throws {
        let channel = try await PCSCChannel.connect(reader: reader0)
        #expect(await channel.transmissionProtocol == .t1)
        #expect(await channel.atr() == [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14])
        let block =
            ["00A4040C0AD392F000260100000001", "00A4020C020018"] + Array(repeating: "002000800430303030", count: 3)
        for hex in block { _ = try await channel.transmit(apdu(hex)) }
        #expect(try await channel.transmit(apdu("00200080")) == [0x63, 0xC0])
        #expect(try await channel.restoreEmulatedCard() == [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14])
        for hex in block.prefix(2) { _ = try await channel.transmit(apdu(hex)) }
        #expect(try await channel.transmit(apdu("00200080")) == [0x63, 0xC3])
        // A reset clears the selection; reconnect keeps the connection usable.
        _ = try await channel.reset()
        #expect(try await channel.transmit(apdu("00A4020C020018")) == [0x6A, 0x82])
        try await channel.reconnect()
        #expect(try await channel.transmit(apdu("00A4040C0AD392F000260100000001")) == [0x90, 0x00])
        await channel.disconnect()
        await #expect(throws: TransportError.self) { try await channel.transmit([0x00, 0xA4, 0x04, 0x00]) }
    }

    @Test("PCSCChannel lists readers with state and ATR; an unknown reader is named in the error")
    func readerList() async throws {
        let readers = try await PCSCChannel.readers()
        #expect(readers.map(\.name) == [reader0, reader1])
        #expect(readers.allSatisfy { $0.hasCard && $0.atr == [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14] })
        do {
            _ = try await PCSCChannel.connect(reader: "No Such Reader 00 00")
            Issue.record("connected to a reader that does not exist")
        } catch {
            #expect(error.kind == .readerUnavailable, "\(error)")
        }
        do {
            _ = try await PCSCChannel.waitForCard(in: "No Such Reader 00 00", timeout: .milliseconds(200))
            Issue.record("waited on a reader that does not exist")
        } catch {
            #expect(error.message.contains("No Such Reader 00 00"), "\(error)")
        }
    }

    @Test("mynaconf readers shows both readers with their state and ATR")
    func readersCommand() async throws {
        let result = try await tool(mynaconfBinary(), ["readers"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("  \(reader0): card present, ATR 3B E0 00 FF 81 31 FE 45 14"), "\(result)")
        #expect(result.stdout.contains("  \(reader1): card present, ATR 3B E0 00 FF 81 31 FE 45 14"), "\(result)")
    }
}

/// A channel that keeps every exchange, to compare two channels byte for byte.
actor RecordingChannel: CardChannel {
    struct Exchange: Equatable {
        var command: [UInt8]
        var response: [UInt8]

        /// For messages: VERIFY and CHANGE REFERENCE DATA carry PINs, which never appear in a report.
        var masked: String {
            let hidden = command.count > 5 && command[0] & 0x80 == 0 && [0x20, 0x24].contains(command[1])
            let shown = hidden ? Hex.encode(Array(command.prefix(5))) + " ****" : Hex.encode(command)
            return "> \(shown) < \(Hex.encode(response))"
        }
    }

    nonisolated let readerName: String
    private let inner: any CardChannel
    private(set) var exchanges: [Exchange] = []

    init(_ inner: any CardChannel) {
        self.inner = inner
        readerName = inner.readerName
    }

    func atr() async throws(TransportError) -> [UInt8] { try await inner.atr() }

    func transmit(_ command: [UInt8]) async throws(TransportError) -> [UInt8] {
        let response = try await inner.transmit(command)
        exchanges.append(Exchange(command: command, response: response))
        return response
    }

    func reset() async throws(TransportError) -> [UInt8] {
        let atr = try await inner.reset()
        exchanges.append(Exchange(command: [], response: atr))
        return atr
    }
}
