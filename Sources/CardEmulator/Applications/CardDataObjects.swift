import APDU

/// GET DATA (`00 CA P1 P2 Le`): the card-level data objects the emulator carries. Today only `5F51`, the contact
/// ATR, which a client reaching the card through a contactless reader (whose ATR the reader makes up) reads to
/// learn the card's real one.
extension EmulatedCard {
    /// The tag of the contact-interface ATR: stored without TS, which is always `3B` (soltia48/myna-card:
    /// src/card.rs `contact_atr`, src/mf.rs `tag::CONTACT_ATR` [CARD]).
    public static let contactATRTag: UInt16 = 0x5F51

    func getData(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.data.isEmpty, let le = command.le else { return ResponseAPDU(statusWord: .wrongLength) }
        let tag = UInt16(command.p1) << 8 | UInt16(command.p2)
        guard tag == Self.contactATRTag else { return ResponseAPDU(statusWord: .referencedDataNotFound) }
        // Some real cards answer only at MF level, some only with an application selected; this one answers in
        // both states. An Le shorter than the object is refused, as the card does for its large objects.
        let value = Array(atr.dropFirst())
        guard le >= value.count else { return ResponseAPDU(statusWord: .wrongLength) }
        return ResponseAPDU(data: value, statusWord: .success)
    }
}
