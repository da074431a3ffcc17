import APDU
import ArgumentParser
import Foundation
import Transport

/// `mynaconf readers`: the PC/SC readers pcscd knows with their state and ATR, and the USB CCID readers on the bus
/// with what their class descriptor says they can do.
struct ReadersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readers",
        abstract: "List the PC/SC readers (state, ATR) and the USB CCID readers attached (capabilities).",
        discussion: """
            PC/SC readers come from pcscd (the socket in PCSCLITE_CSOCK_NAME, else /run/pcscd/pcscd.comm); USB \
            readers from libusb, with their CCID class descriptor decoded: exchange level (extended APDUs), \
            automatic parameters, maximum message length, PIN pad. Exit 3 when pcscd does not answer.
            """
    )

    func run() throws {
        var pcscFailure: TransportError?
        do {
            let readers = try PCSCContext().readers()
            print("PC/SC readers:")
            if readers.isEmpty { print("  none (pcscd has no reader)") }
            for reader in readers {
                let atr = reader.atr.isEmpty ? "" : ", ATR \(Hex.encode(reader.atr, separator: " "))"
                print("  \(reader.name): \(reader.stateDescription)\(atr)")
            }
        } catch {
            pcscFailure = error
        }
        let usb = CCIDReaderScan.attachedReaders()
        print("USB CCID readers:")
        if usb.isEmpty { print("  none found") }
        for reader in usb {
            print("  \(reader)")
            guard let ccid = reader.ccid else {
                print("    no CCID class descriptor where the specification puts it")
                continue
            }
            for line in ccid.summary { print("    \(line)") }
        }
        if let pcscFailure { throw Failure.environment("\(pcscFailure)") }
    }
}
