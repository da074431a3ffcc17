extension CommandAPDU {
    /// Decodes a command by the rules of ISO/IEC 7816-4 §5.1 (cases 1, 2S, 3S, 4S, 2E, 3E, 4E). Any byte array either
    /// decodes or throws an error that says what the length fields claimed and what actually follows.
    public init(bytes: [UInt8]) throws(APDUError) {
        self = try Self.decode(bytes)
    }

    /// `Hex.decode` then `init(bytes:)`; error offsets are then 1-based columns of `hex`.
    public init(hex: String) throws(APDUError) {
        let text = try HexText(hex)
        do throws(APDUError) {
            self = try Self.decode(text.bytes)
        } catch {
            throw error.located(in: text)
        }
    }

    private static func decode(_ bytes: [UInt8]) throws(APDUError) -> CommandAPDU {
        let count = bytes.count
        guard count >= 4 else {
            throw .tooShort(
                "a command APDU needs at least 4 header bytes (CLA INS P1 P2), got \(count)", offset: count)
        }
        var apdu = CommandAPDU(cla: bytes[0], ins: bytes[1], p1: bytes[2], p2: bytes[3])
        if count == 4 { return apdu }  // case 1

        let b4 = Int(bytes[4])
        if count == 5 {  // case 2S: Le 00 means 256
            apdu.le = b4 == 0 ? maxShortLe : b4
            return apdu
        }
        if b4 != 0 {  // short Lc
            let follow = count - 5
            if follow == b4 || follow == b4 + 1 {  // case 3S, 4S
                apdu.data = Array(bytes[5..<(5 + b4)])
                if follow == b4 + 1 { apdu.le = bytes[count - 1] == 0 ? maxShortLe : Int(bytes[count - 1]) }
                return apdu
            }
            if follow < b4 {
                throw .lengthMismatch("Lc says \(counted(b4, "data byte")) but \(follow) follow", offset: 4)
            }
            throw .trailingBytes(
                "Lc says \(counted(b4, "data byte")), then at most 1 Le byte, but \(follow) bytes follow: "
                    + "\(counted(follow - b4 - 1, "byte")) too many",
                offset: 5 + b4 + 1)
        }

        // 00 after the header opens an extended length field: Le (case 2E) or Lc (cases 3E, 4E), two bytes each.
        if count == 6 {
            throw .truncated(
                "byte 4 is 00, which opens a 2-byte extended length field, but only 1 byte follows it", offset: 4)
        }
        let b56 = Int(bytes[5]) << 8 | Int(bytes[6])
        if count == 7 {  // case 2E: Le 0000 means 65536
            apdu.le = b56 == 0 ? maxExtendedLe : b56
            apdu.encoding = .extended
            return apdu
        }
        let lc = b56
        guard lc != 0 else {
            throw .invalidLength(
                "extended Lc is 0000, which is not allowed (1...65535); \(count - 7) bytes follow it", offset: 5)
        }
        let follow = count - 7
        if follow == lc || follow == lc + 2 {  // case 3E, 4E
            apdu.data = Array(bytes[7..<(7 + lc)])
            if follow == lc + 2 {
                let le = Int(bytes[count - 2]) << 8 | Int(bytes[count - 1])
                apdu.le = le == 0 ? maxExtendedLe : le
            }
            apdu.encoding = .extended
            return apdu
        }
        if follow == lc + 1 {
            throw .lengthMismatch(
                "extended Lc says \(counted(lc, "data byte")) and 1 byte follows them, but an extended Le takes 2",
                offset: count - 1)
        }
        if follow < lc {
            throw .lengthMismatch("extended Lc says \(counted(lc, "data byte")) but \(follow) follow", offset: 5)
        }
        throw .trailingBytes(
            "extended Lc says \(counted(lc, "data byte")), then at most 2 Le bytes, but \(follow) bytes follow: "
                + "\(counted(follow - lc - 2, "byte")) too many",
            offset: 7 + lc + 2)
    }
}
