extension Array where Element == UInt8 {
    /// Bytes from hex digits, whitespace ignored; for readable vectors in tests.
    init(hex: String) {
        let digits = [Character](hex.filter { !$0.isWhitespace })
        precondition(digits.count.isMultiple(of: 2), "odd hex in a test")
        self = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    /// Lower-case hex, two digits a byte.
    var hex: String {
        self.map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
