/// How Lc and Le are written: one byte each (short), or 00 followed by two bytes (extended, ISO/IEC 7816-4 §5.1).
public enum LengthEncoding: Sendable, Hashable {
    case short, extended
}

/// The four command shapes of ISO/IEC 7816-4 §5.1: whether there is command data (Lc) and an expected length (Le).
public enum APDUCase: Int, Sendable, Hashable {
    /// Header only.
    case one = 1
    /// Header and Le.
    case two
    /// Header, Lc and data.
    case three
    /// Header, Lc, data and Le.
    case four
}
