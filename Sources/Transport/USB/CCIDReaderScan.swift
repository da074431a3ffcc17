import CLibUSB

/// A USB device that declares a CCID (smart-card reader) interface, found through libusb.
public struct USBReaderDescriptor: Hashable, Sendable, CustomStringConvertible {
    public var vendorID: UInt16
    public var productID: UInt16
    public var bus: UInt8
    public var address: UInt8

    public var description: String {
        func hex(_ value: UInt16) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 4 - digits.count) + digits
        }
        return "USB \(hex(vendorID)):\(hex(productID)) (bus \(bus), device \(address))"
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
            if hasCCIDInterface(device, configurations: descriptor.bNumConfigurations) {
                readers.append(
                    USBReaderDescriptor(
                        vendorID: descriptor.idVendor, productID: descriptor.idProduct,
                        bus: libusb_get_bus_number(device), address: libusb_get_device_address(device)))
            }
        }
        return readers
    }

    private static func hasCCIDInterface(_ device: OpaquePointer, configurations: UInt8) -> Bool {
        for index in 0..<configurations {
            var config: UnsafeMutablePointer<libusb_config_descriptor>?
            guard libusb_get_config_descriptor(device, index, &config) == 0, let config else { continue }
            defer { libusb_free_config_descriptor(config) }
            for i in 0..<Int(config.pointee.bNumInterfaces) {
                let interface = config.pointee.interface[i]
                for a in 0..<Int(interface.num_altsetting)
                where interface.altsetting[a].bInterfaceClass == ccidInterfaceClass {
                    return true
                }
            }
        }
        return false
    }
}
