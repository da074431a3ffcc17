import CLibUSB

/// A USB device that declares a CCID (smart-card reader) interface, found through libusb.
public struct USBReaderDescriptor: Hashable, Sendable, CustomStringConvertible {
    public var vendorID: UInt16
    public var productID: UInt16
    /// The device descriptor's bcdDevice: the release number the vendor gives the device, its firmware version.
    public var bcdDevice: UInt16 = 0
    public var bus: UInt8
    public var address: UInt8
    /// The device's own strings; nil when the device could not be opened to read them (permissions).
    public var manufacturer: String?
    public var product: String?
    /// The CCID class descriptor; nil if the interface carries none where the specification puts it.
    public var ccid: CCIDClassDescriptor?

    /// bcdDevice as a version, binary-coded decimal major.minor: 0x0110 is "1.10".
    public var firmwareVersion: String {
        let major = String(bcdDevice >> 8, radix: 16)
        let minor = String(bcdDevice & 0xFF, radix: 16)
        return "\(major).\(minor.count == 1 ? "0" + minor : minor)"
    }

    /// `vendor:product` in four lowercase hex digits each, as lsusb and the kernel write it: `072f:b100`.
    public var usbID: String { "\(Self.hex(vendorID)):\(Self.hex(productID))" }

    /// bcdDevice as written in the descriptor: `0x0110`.
    public var bcdDeviceHex: String { "0x\(Self.hex(bcdDevice))" }

    /// What `mynaconf readers` prints under the reader: its firmware, in the reports' form, and the raw field.
    public var firmwareSummary: String { "firmware \(firmwareVersion) (bcdDevice \(bcdDeviceHex))" }

    public var description: String {
        let name = [manufacturer, product].compactMap { $0 }.joined(separator: " ")
        return "USB \(usbID)\(name.isEmpty ? "" : " \(name)") (bus \(bus), device \(address))"
    }

    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

/// Lists the USB CCID readers attached, whether or not pcscd has claimed them; empty where there is no USB
/// (containers, CI).
public enum CCIDReaderScan {
    static let ccidInterfaceClass: UInt8 = 0x0B

    public static func attachedReaders() -> [USBReaderDescriptor] {
        var context: OpaquePointer?
        guard libusb_init(&context) == 0 else { return [] }
        defer { libusb_exit(context) }
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context, &list)
        guard count > 0, let list else { return [] }
        defer { libusb_free_device_list(list, 1) }
        var readers: [USBReaderDescriptor] = []
        for index in 0..<count {
            guard let device = list[index] else { continue }
            var descriptor = libusb_device_descriptor()
            guard libusb_get_device_descriptor(device, &descriptor) == 0 else { continue }
            guard let ccid = ccidInterface(device, configurations: descriptor.bNumConfigurations) else { continue }
            var reader = USBReaderDescriptor(
                vendorID: descriptor.idVendor, productID: descriptor.idProduct,
                bcdDevice: descriptor.bcdDevice, bus: libusb_get_bus_number(device),
                address: libusb_get_device_address(device), ccid: ccid.descriptor)
            // Reading strings needs the device opened: only control transfers, allowed while pcscd holds it.
            var handle: OpaquePointer?
            if libusb_open(device, &handle) == 0, let handle {
                reader.manufacturer = string(handle, descriptor.iManufacturer)
                reader.product = string(handle, descriptor.iProduct)
                libusb_close(handle)
            }
            readers.append(reader)
        }
        return readers
    }

    private static func string(_ handle: OpaquePointer, _ index: UInt8) -> String? {
        guard index != 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = libusb_get_string_descriptor_ascii(handle, index, &buffer, Int32(buffer.count))
        guard length > 0 else { return nil }
        return String(decoding: buffer.prefix(Int(length)), as: UTF8.self)
    }

    /// The first CCID interface's class descriptor: in the interface's extra bytes, or — for readers that put it
    /// after their endpoints, as libccid tolerates — in the last endpoint's.
    private static func ccidInterface(_ device: OpaquePointer, configurations: UInt8)
        -> (found: Bool, descriptor: CCIDClassDescriptor?)?
    {
        for index in 0..<configurations {
            var config: UnsafeMutablePointer<libusb_config_descriptor>?
            guard libusb_get_config_descriptor(device, index, &config) == 0, let config else { continue }
            defer { libusb_free_config_descriptor(config) }
            for i in 0..<Int(config.pointee.bNumInterfaces) {
                let interface = config.pointee.interface[i]
                for a in 0..<Int(interface.num_altsetting)
                where interface.altsetting[a].bInterfaceClass == ccidInterfaceClass {
                    let setting = interface.altsetting[a]
                    var blocks = [bytes(setting.extra, Int(setting.extra_length))]
                    if setting.bNumEndpoints > 0 {
                        let last = setting.endpoint[Int(setting.bNumEndpoints) - 1]
                        blocks.append(bytes(last.extra, Int(last.extra_length)))
                    }
                    return (true, blocks.lazy.compactMap { CCIDClassDescriptor.find(in: $0) }.first)
                }
            }
        }
        return nil
    }

    private static func bytes(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }
}

/// The firmware version of the USB reader behind a PC/SC reader name, where one can be found: what a run's report
/// records (`readerFirmware`, `readerFirmwareNote`) and what `mynaconf readers` shows before the run.
public struct ReaderFirmware: Hashable, Sendable {
    /// bcdDevice as `major.minor`; nil when it cannot be known.
    public var version: String?
    /// Why `version` is nil; nil when it was read.
    public var note: String?
    /// The USB readers whose product string begins the PC/SC name: where the version was read from.
    public var matches: [USBReaderDescriptor]

    public init(version: String?, note: String?, matches: [USBReaderDescriptor] = []) {
        self.version = version
        self.note = note
        self.matches = matches
    }

    /// The version, or nil with why not. pcscd names a CCID reader after its USB product string (then an
    /// interface name, a serial and the slot numbers), so the reader whose product string begins `readerName` is
    /// the one; none matching means the reader is not USB (a virtual or network reader), several with different
    /// versions mean the name does not say which.
    public static func lookup(readerName: String, among readers: [USBReaderDescriptor]) -> ReaderFirmware {
        let matching = readers.filter { reader in
            guard let product = reader.product, !product.isEmpty else { return false }
            let names = [product, [reader.manufacturer, reader.product].compactMap { $0 }.joined(separator: " ")]
            return names.contains { readerName.hasPrefix($0) }
        }
        let versions = Set(matching.map(\.firmwareVersion))
        if versions.count == 1, let version = versions.first {
            return ReaderFirmware(version: version, note: nil, matches: matching)
        }
        if versions.count > 1 {
            return ReaderFirmware(
                version: nil,
                note: "\(matching.count) USB readers match the name '\(readerName)' with different versions "
                    + "(\(versions.sorted().joined(separator: ", "))); the name does not say which one this is",
                matches: matching)
        }
        if readers.isEmpty {
            return ReaderFirmware(
                version: nil,
                note:
                    "no USB CCID reader is visible on this machine (a virtual or network reader has no USB descriptor)")
        }
        return ReaderFirmware(
            version: nil,
            note: "none of the \(readers.count) USB CCID reader(s) visible has a product name that begins "
                + "'\(readerName)' (a virtual or network reader has no USB descriptor)")
    }

    /// One line for `mynaconf readers`, in the reports' words: `firmware 1.10 (bcdDevice 0x0110 of USB
    /// 072f:b100)`, or `firmware unknown: ` and the note the reports carry.
    public var summary: String {
        guard let version else { return "firmware unknown: \(note ?? "no reason recorded")" }
        let sources = Set(matches.map { "\($0.bcdDeviceHex) of USB \($0.usbID)" }).sorted()
        return sources.isEmpty
            ? "firmware \(version)" : "firmware \(version) (bcdDevice \(sources.joined(separator: ", ")))"
    }
}
