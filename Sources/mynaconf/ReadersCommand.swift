import APDU
import ArgumentParser
import Foundation
import Transport

/// `mynaconf readers`: the PC/SC readers pcscd knows with their state, ATR and the firmware a run's report would
/// record, and the USB CCID readers on the bus with their firmware and what their class descriptor says they can do.
struct ReadersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readers",
        abstract:
            "List the PC/SC readers (state, ATR, firmware) and the USB CCID readers attached (firmware, capabilities).",
        discussion: """
            PC/SC readers come from pcscd (the socket in PCSCLITE_CSOCK_NAME, else /run/pcscd/pcscd.comm); USB \
            readers from libusb, with their firmware (bcdDevice) and CCID class descriptor decoded: exchange level \
            (extended APDUs), automatic parameters, maximum message length, PIN pad. Each PC/SC reader's firmware \
            line is what `run --reader` records in its reports: the bcdDevice of the USB reader whose product \
            string begins its name, or unknown and why. Exit 3 when pcscd does not answer.
            """
    )

    func run() throws {
        // One scan for both lists, so a PC/SC reader's firmware line and the USB list describe the same devices.
        let usb = CCIDReaderScan.attachedReaders().sorted { ($0.bus, $0.address) < ($1.bus, $1.address) }
        var pcscFailure: TransportError?
        do {
            let readers = try PCSCContext().readers()
            print("PC/SC readers:")
            if readers.isEmpty { print("  none (pcscd has no reader)") }
            for reader in readers {
                let atr = reader.atr.isEmpty ? "" : ", ATR \(Hex.encode(reader.atr, separator: " "))"
                print("  \(reader.name): \(reader.stateDescription)\(atr)")
                // What `run --reader` records in the reports, by the same lookup.
                print("    \(ReaderTarget.firmware(of: reader.name, isVirtual: false, among: usb).summary)")
            }
        } catch {
            pcscFailure = error
        }
        print("USB CCID readers:")
        if usb.isEmpty { print("  none found") }
        for reader in usb {
            print("  \(reader)")
            print("    \(reader.firmwareSummary)")
            guard let ccid = reader.ccid else {
                print("    no CCID class descriptor where the specification puts it")
                continue
            }
            for line in ccid.summary { print("    \(line)") }
        }
        if let pcscFailure { throw Failure.environment("\(pcscFailure)") }
    }
}
