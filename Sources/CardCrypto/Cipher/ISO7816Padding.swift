import APDU

/// ISO/IEC 7816-4 padding (ISO/IEC 9797-1 padding method 2): one `80` byte, then `00` bytes up to a whole block.
/// Secure messaging pads everything it encrypts or authenticates this way.
public enum ISO7816Padding {
    /// `data ‖ 80 ‖ 00…`, always at least one byte longer, a whole number of `blockSize` blocks.
    public static func pad(_ data: [UInt8], blockSize: Int) -> [UInt8] {
        precondition(blockSize > 0, "a block size must be positive")
        var padded = data
        padded.reserveCapacity(data.count + blockSize)
        padded.append(0x80)
        while !padded.count.isMultiple(of: blockSize) {
            padded.append(0x00)
        }
        return padded
    }

    /// The data before the padding.
    ///
    /// Strict, as a conformance tool must be: the padding must lie within the last block, so `80` followed by a whole
    /// block of `00` is refused rather than read as data that happens to end in zeros.
    /// - Throws: ``CryptoError/Code/invalidPadding`` naming the byte that breaks the rule.
    public static func unpad(_ padded: [UInt8], blockSize: Int) throws(CryptoError) -> [UInt8] {
        precondition(blockSize > 0, "a block size must be positive")
        guard !padded.isEmpty, padded.count.isMultiple(of: blockSize) else {
            throw CryptoError(
                code: .invalidPadding,
                reason: "\(padded.count) bytes cannot hold ISO/IEC 7816-4 padding: padded data is a non-empty "
                    + "whole number of \(blockSize)-byte blocks"
            )
        }
        var index = padded.count - 1
        let lastBlockStart = padded.count - blockSize
        while index >= lastBlockStart && padded[index] == 0x00 {
            index -= 1
        }
        guard index >= lastBlockStart else {
            throw CryptoError(
                code: .invalidPadding,
                reason: "the last \(blockSize)-byte block is all 00: the padding's 80 byte is missing "
                    + "(wrong key, or the data was not padded)"
            )
        }
        guard padded[index] == 0x80 else {
            let found = Hex.encode([padded[index]])
            throw CryptoError(
                code: .invalidPadding,
                reason: "byte \(index) of the decrypted data is \(found) where the padding's 80 should be "
                    + "(wrong key, or the data was not padded with 80 00 …)"
            )
        }
        return Array(padded[..<index])
    }
}
