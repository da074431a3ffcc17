import ArgumentParser
import Transport

/// `mynaconf readers`: the PC/SC readers pcscd knows, and USB CCID readers seen on the bus.
struct ReadersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readers",
        abstract: "List the PC/SC readers (through pcscd) and the USB CCID readers attached."
    )

    func run() throws {
        let names: [String]
        do {
            names = try PCSCContext().readerNames()
        } catch {
            throw Failure.environment("\(error)")
        }
        if names.isEmpty { print("pcscd has no readers") }
        for name in names { print("PC/SC: \(name)") }
        for usb in CCIDReaderScan.attachedReaders() { print("\(usb)") }
    }
}
