import APDU
import CardCrypto
import CardEmulator
import Foundation
import Runner
import Transport

/// The card behind a PC/SC reader, for `run --reader` and `vectors --reader`: opened with errors that say what to
/// do (exit 3), and the reader's evidence (firmware version, or why it is unknown).
enum ReaderTarget {
    /// Connects to the card in `name`. Exit 3 when pcscd does not answer, the reader is not there (the readers that
    /// are there are listed), or no card is in it.
    static func connect(_ name: String) async throws -> PCSCChannel {
        let readers: [PCSCReader]
        do {
            readers = try await PCSCChannel.readers()
        } catch {
            throw Failure.environment("--reader '\(name)': \(error)")
        }
        guard let reader = readers.first(where: { $0.name == name }) else {
            let there =
                readers.isEmpty
                ? "pcscd has no reader at all (is the reader plugged in, or `mynaconf emulate` connected to vpcd?)"
                : "the readers pcscd has are: "
                    + readers.map { "'\($0.name)' (\($0.stateDescription))" }.joined(separator: ", ")
            throw Failure.environment("--reader '\(name)': no reader of that name; \(there)")
        }
        guard reader.hasCard else {
            throw Failure.environment(
                "--reader '\(name)': no card in the reader (it reports: \(reader.stateDescription)); insert one")
        }
        do {
            return try await PCSCChannel.connect(reader: name)
        } catch {
            throw Failure.environment("--reader '\(name)': \(error)")
        }
    }

    /// The reader's firmware version from its USB descriptor (bcdDevice), or nil and why it is unknown: what the
    /// reports record, and what `mynaconf readers` shows for a reader (`isVirtual` false, as it cannot know).
    /// `usb` is the USB CCID readers to look among; nil scans the bus (not needed for the virtual reader).
    static func firmware(of name: String, isVirtual: Bool, among usb: [USBReaderDescriptor]? = nil) -> ReaderFirmware {
        if isVirtual {
            return ReaderFirmware(
                version: nil,
                note: "the virtual reader (vsmartcard vpcd, serving mynaconf emulate) has no USB descriptor")
        }
        return ReaderFirmware.lookup(readerName: name, among: usb ?? CCIDReaderScan.attachedReaders())
    }

    /// Checks that the emulator behind the reader runs `profile`: after a restore, the user-authentication
    /// certificate it presents must be the profile's. A different one means `--card` names another profile than
    /// the one `mynaconf emulate` was started with, and every `${card.*}` value would be wrong.
    static func confirmProfile(_ profile: CardProfile, on channel: any CardChannel) async throws {
        let expected = (try? CertificateSummary(derEncoded: profile.jpki.authenticationCertificate))
            .map { Hex.encode($0.serialNumber) }
        let found = await CardIdentity.read(from: channel)
        guard let expected, expected != found?.certificateSerial else { return }
        let presented = found.map { "certificate serial \($0.certificateSerial)" } ?? "no readable certificate"
        throw Failure.environment(
            "--card \(profile.name): the emulator behind '\(channel.readerName)' runs another profile (it presents "
                + "\(presented), the profile's is \(expected)); pass the --card that `mynaconf emulate` was started "
                + "with, or start it with --card \(profile.name)")
    }
}
