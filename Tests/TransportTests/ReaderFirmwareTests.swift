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

    // Real readers' device descriptors, as LudovicRousseau/CCID `readers/*.txt` records them (idVendor, idProduct,
    // iManufacturer, iProduct, bcdDevice; the same files as CCIDClassDescriptorTests): the firmware `readers` shows
    // and a run's report records for each.
    static let acr39u = USBReaderDescriptor(
        vendorID: 0x072F, productID: 0xB100, bcdDevice: 0x0216, bus: 1, address: 4, manufacturer: "ACS",
        product: "ACR39U ICC Reader", ccid: nil)
    static let gemPCPinpad = USBReaderDescriptor(
        vendorID: 0x08E6, productID: 0x3478, bcdDevice: 0x0100, bus: 2, address: 92, manufacturer: "Gemplus",
        product: "USB GemPCPinpad SmartCard Reader", ccid: nil)
    static let acr1252 = USBReaderDescriptor(
        vendorID: 0x072F, productID: 0x223E, bcdDevice: 0x0206, bus: 1, address: 7, manufacturer: "ACS",
        product: "ACR1252 Reader", ccid: nil)

    @Test("A USB reader's line: vendor and product IDs as lsusb writes them, bcdDevice as major.minor and raw")
    func usbReaderLines() {
        #expect(Self.acr39u.description == "USB 072f:b100 ACS ACR39U ICC Reader (bus 1, device 4)")
        #expect(Self.acr39u.firmwareSummary == "firmware 2.16 (bcdDevice 0x0216)")
        #expect(Self.gemPCPinpad.usbID == "08e6:3478")
        #expect(Self.gemPCPinpad.firmwareSummary == "firmware 1.00 (bcdDevice 0x0100)")
        #expect(Self.acr1252.firmwareSummary == "firmware 2.06 (bcdDevice 0x0206)")
        var unnamed = Self.acr1252
        (unnamed.manufacturer, unnamed.product) = (nil, nil)
        #expect(unnamed.description == "USB 072f:223e (bus 1, device 7)", "strings unreadable without permissions")
    }

    @Test("A PC/SC reader's line names the version and the USB reader it was read from")
    func pcscReaderLines() {
        let attached = [Self.acr39u, Self.gemPCPinpad, Self.acr1252]
        let acr39u = ReaderFirmware.lookup(readerName: "ACS ACR39U ICC Reader 00 00", among: attached)
        #expect(acr39u == ReaderFirmware(version: "2.16", note: nil, matches: [Self.acr39u]))
        #expect(acr39u.summary == "firmware 2.16 (bcdDevice 0x0216 of USB 072f:b100)")
        // pcscd adds the interface's name in brackets when the device has one.
        let acr1252 = ReaderFirmware.lookup(
            readerName: "ACS ACR1252 Reader [ACR1252 Reader PICC] 00 00", among: attached)
        #expect(acr1252.summary == "firmware 2.06 (bcdDevice 0x0206 of USB 072f:223e)")
        let gemPC = ReaderFirmware.lookup(readerName: "USB GemPCPinpad SmartCard Reader 01 00", among: attached)
        #expect(gemPC.summary == "firmware 1.00 (bcdDevice 0x0100 of USB 08e6:3478)")
        // Two of the same model with the same firmware: one version, one source named once.
        var second = Self.acr39u
        second.address = 9
        let twins = ReaderFirmware.lookup(readerName: "ACS ACR39U ICC Reader 01 00", among: [Self.acr39u, second])
        #expect(twins.summary == "firmware 2.16 (bcdDevice 0x0216 of USB 072f:b100)")
    }

    @Test("Unknown: `firmware unknown: ` and the note the reports carry, word for word")
    func unknownLines() {
        let virtual = ReaderFirmware.lookup(readerName: "Virtual PCD 00 00", among: [])
        #expect(
            virtual.summary
                == "firmware unknown: no USB CCID reader is visible on this machine (a virtual or network reader has "
                + "no USB descriptor)")
        let unmatched = ReaderFirmware.lookup(
            readerName: "Virtual PCD 00 00", among: [Self.acr39u, Self.gemPCPinpad, Self.acr1252])
        #expect(
            unmatched.summary
                == "firmware unknown: none of the 3 USB CCID reader(s) visible has a product name that begins "
                + "'Virtual PCD 00 00' (a virtual or network reader has no USB descriptor)")
        var updated = Self.acr39u
        (updated.address, updated.bcdDevice) = (9, 0x0220)
        let twins = ReaderFirmware.lookup(readerName: "ACS ACR39U ICC Reader 01 00", among: [Self.acr39u, updated])
        #expect(twins.matches.count == 2)
        #expect(
            twins.summary
                == "firmware unknown: 2 USB readers match the name 'ACS ACR39U ICC Reader 01 00' with different "
                + "versions (2.16, 2.20); the name does not say which one this is")
    }
}
