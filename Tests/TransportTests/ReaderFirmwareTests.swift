import Testing

@testable import Transport

@Suite("Reader firmware: bcdDevice of the USB reader behind a PC/SC reader name")
struct ReaderFirmwareTests {
    func usb(_ product: String?, manufacturer: String? = nil, bcd: UInt16, address: UInt8 = 2) -> USBReaderDescriptor {
        USBReaderDescriptor(
            vendorID: 0x072F, productID: 0xB100, bcdDevice: bcd, bus: 1, address: address, manufacturer: manufacturer,
            product: product, ccid: nil)
    }

    @Test(
        "bcdDevice is binary-coded decimal major.minor",
        arguments: [
            (UInt16(0x0110), "1.10"), (0x0200, "2.00"), (0x1205, "12.05"), (0x0001, "0.01"),
        ])
    func version(bcd: UInt16, shown: String) {
        #expect(usb("R", bcd: bcd).firmwareVersion == shown)
    }

    @Test("pcscd names a CCID reader after its product string: that reader's version is the one")
    func matchByProduct() {
        let readers = [
            usb("ACR39U ICC Reader", bcd: 0x0110), usb("SCR3310 v2.0 USB SC Reader", bcd: 0x0531, address: 3),
        ]
        let found = ReaderFirmware.lookup(readerName: "ACR39U ICC Reader 00 00", among: readers)
        #expect(found.version == "1.10" && found.note == nil)
        let other = ReaderFirmware.lookup(
            readerName: "SCR3310 v2.0 USB SC Reader [CCID Interface] (53311750202221) 00 00", among: readers)
        #expect(other.version == "5.31")
    }

    @Test("The manufacturer and product together also name the reader")
    func matchByManufacturerAndProduct() {
        let found = ReaderFirmware.lookup(
            readerName: "SONY FeliCa Port/PaSoRi 3.0 00 00",
            among: [usb("FeliCa Port/PaSoRi 3.0", manufacturer: "SONY", bcd: 0x0100)])
        #expect(found.version == "1.00")
    }

    @Test("No USB reader, none matching, or two matching with different versions: unknown, and why")
    func unknown() {
        let none = ReaderFirmware.lookup(readerName: "Virtual PCD 00 00", among: [])
        #expect(none.version == nil && none.note?.contains("no USB CCID reader is visible") == true)
        let unmatched = ReaderFirmware.lookup(readerName: "Virtual PCD 00 00", among: [usb("ACR39U", bcd: 0x0110)])
        #expect(unmatched.version == nil && unmatched.note?.contains("begins 'Virtual PCD 00 00'") == true)
        let twins = ReaderFirmware.lookup(
            readerName: "ACR39U ICC Reader 01 00",
            among: [usb("ACR39U ICC Reader", bcd: 0x0110), usb("ACR39U ICC Reader", bcd: 0x0120, address: 5)])
        #expect(twins.version == nil && twins.note?.contains("different versions (1.10, 1.20)") == true)
        let sameVersion = ReaderFirmware.lookup(
            readerName: "ACR39U ICC Reader 01 00",
            among: [usb("ACR39U ICC Reader", bcd: 0x0110), usb("ACR39U ICC Reader", bcd: 0x0110, address: 5)])
        #expect(sameVersion.version == "1.10")
    }
}
