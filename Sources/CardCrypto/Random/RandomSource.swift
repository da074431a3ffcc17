import COpenSSL

/// Random bytes for challenges and key generation; tests inject a deterministic one.
public protocol RandomSource: Sendable {
    /// The next `count` bytes.
    mutating func bytes(_ count: Int) -> [UInt8]
}

/// OpenSSL's CSPRNG (`RAND_bytes`).
public struct SystemRandomSource: RandomSource {
    public init() {}

    /// Crashes if OpenSSL cannot produce randomness: carrying on with predictable challenges would be worse.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "cannot produce \(count) random bytes")
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        let ok = RAND_bytes(&bytes, Int32(count))
        precondition(ok == 1, "RAND_bytes failed: \(OpenSSL.drainErrors())")
        return bytes
    }
}

/// A deterministic stream of bytes for reproducible tests. Not random, never for anything real.
///
/// The stream is block 0 ‖ block 1 ‖ …, where block *i* is SHA-256(seed ‖ *i* as 8 bytes big-endian). Calls consume
/// the stream in order, so `bytes(3)` then `bytes(5)` gives the same 8 bytes as one `bytes(8)`. The definition is
/// fixed: recorded test expectations depend on it.
public struct SeededRandomSource: RandomSource {
    private let seed: [UInt8]
    private var counter: UInt64 = 0
    private var pending: [UInt8] = []

    public init(seed: [UInt8]) {
        self.seed = seed
    }

    /// Seeds with the 8 big-endian bytes of `seed`.
    public init(seed: UInt64) {
        self.init(seed: (0..<8).reversed().map { UInt8(truncatingIfNeeded: seed >> (8 * UInt64($0))) })
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "cannot produce \(count) bytes")
        while self.pending.count < count {
            let block = (0..<8).reversed().map { UInt8(truncatingIfNeeded: self.counter >> (8 * UInt64($0))) }
            self.pending += HashAlgorithm.sha256.hash(self.seed + block)
            self.counter += 1
        }
        defer { self.pending.removeFirst(count) }
        return Array(self.pending.prefix(count))
    }
}
