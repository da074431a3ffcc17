import APDU

/// One secure-messaging data object as it arrived: its tag, value, the exact bytes that were sent (the checksum
/// covers those, not a re-encoding) and where it starts in the APDU.
struct SecureMessagingDataObject {
    let tag: BERTag
    let value: [UInt8]
    let encoded: [UInt8]
    /// Byte offset of the tag in the whole APDU, for messages.
    let offset: Int

    /// The single-byte tag, or nil for a multi-byte tag (never a secure-messaging tag).
    var shortTag: UInt8? { self.tag.bytes.count == 1 ? self.tag.bytes[0] : nil }

    var name: String { "DO \(self.tag) at byte \(self.offset)" }
}

/// The rules both sides apply to the data objects of a protected APDU: split them, then check tag, order and count
/// against the layout of ISO/IEC 7816-4 §10 as ICAO 9303-11 uses it.
enum SecureMessagingDataObjects {
    /// Splits `data` into BER-TLV objects; `base` is the offset of `data` in the APDU.
    /// - Throws: ``CryptoError/Code/malformedProtectedAPDU`` with the byte where the structure breaks.
    static func split(_ data: [UInt8], base: Int, in what: String) throws(CryptoError) -> [SecureMessagingDataObject] {
        var objects: [SecureMessagingDataObject] = []
        var offset = 0
        while offset < data.count {
            let parsed: (tlv: BERTLV, length: Int)
            do {
                parsed = try BERTLV.parseFirst(data[offset...])
            } catch {
                let at = base + offset + (error.offset ?? 0)
                throw CryptoError(
                    code: .malformedProtectedAPDU,
                    reason: "the data of the \(what) is not a sequence of BER-TLV data objects: at byte \(at): "
                        + error.message
                )
            }
            objects.append(
                SecureMessagingDataObject(
                    tag: parsed.tlv.tag,
                    value: parsed.tlv.value,
                    encoded: Array(data[offset..<(offset + parsed.length)]),
                    offset: base + offset
                )
            )
            offset += parsed.length
        }
        return objects
    }

    /// Checks the objects against `layout`: each slot lists the tags allowed there, in the order slots must come;
    /// every slot holds at most one object. Returns the object found in each slot (nil where none).
    /// - Throws: ``CryptoError/Code/unexpectedDataObject``, ``CryptoError/Code/dataObjectsOutOfOrder`` or
    ///   ``CryptoError/Code/missingDataObject`` (for a slot in `required`).
    static func arrange(
        _ objects: [SecureMessagingDataObject],
        layout: [[UInt8]],
        required: Set<Int>,
        in what: String
    ) throws(CryptoError) -> [SecureMessagingDataObject?] {
        let order = layout.map { $0.map { Hex.encode([$0]) }.joined(separator: "/") }.joined(separator: ", ")
        var slots = [SecureMessagingDataObject?](repeating: nil, count: layout.count)
        var lastSlot = -1
        for object in objects {
            guard let tag = object.shortTag, let slot = layout.firstIndex(where: { $0.contains(tag) }) else {
                throw CryptoError(
                    code: .unexpectedDataObject,
                    reason: "\(object.name) has no place in a \(what); the allowed objects are \(order)"
                )
            }
            if let earlier = slots[slot] {
                throw CryptoError(
                    code: .dataObjectsOutOfOrder,
                    reason: "\(object.name) repeats \(earlier.name); a \(what) carries each of \(order) at most once"
                )
            }
            if slot < lastSlot, let later = slots[lastSlot] {
                throw CryptoError(
                    code: .dataObjectsOutOfOrder,
                    reason: "\(object.name) comes after \(later.name); a \(what) puts them in the order \(order)"
                )
            }
            slots[slot] = object
            lastSlot = slot
        }
        for slot in required.sorted() where slots[slot] == nil {
            let names = layout[slot].map { Hex.encode([$0]) }.joined(separator: " or ")
            throw CryptoError(
                code: .missingDataObject,
                reason: "the \(what) has no DO \(names); ICAO 9303-11 requires it in every \(what)"
            )
        }
        return slots
    }

    /// The 8-byte checksum object's value, checked for length.
    static func checksumValue(_ object: SecureMessagingDataObject) throws(CryptoError) -> [UInt8] {
        guard object.value.count == SecureMessagingSuite.checksumLength else {
            throw CryptoError(
                code: .malformedDataObject,
                reason: "\(object.name) holds \(object.value.count) bytes; the checksum is 8 bytes"
            )
        }
        return object.value
    }

    /// DO 87's value is a padding-content indicator (01: ISO/IEC 7816-4 padding) then the cryptogram; DO 85's value
    /// is the cryptogram alone (odd INS, ISO/IEC 7816-4 §10.2).
    static func cryptogram(of object: SecureMessagingDataObject) throws(CryptoError) -> [UInt8] {
        guard object.shortTag == 0x87 else { return object.value }
        guard let indicator = object.value.first else {
            throw CryptoError(
                code: .malformedDataObject,
                reason: "\(object.name) is empty; it starts with the padding-content indicator 01"
            )
        }
        guard indicator == 0x01 else {
            throw CryptoError(
                code: .malformedDataObject,
                reason: "\(object.name) has padding-content indicator \(Hex.encode([indicator])); only 01 "
                    + "(ISO/IEC 7816-4 padding) is used by ICAO 9303"
            )
        }
        return Array(object.value.dropFirst())
    }

    /// The object that carries `cryptogram`: DO 85 for an odd INS, else DO 87 with indicator 01.
    static func encryptedDataObject(_ cryptogram: [UInt8], oddInstruction: Bool) -> [UInt8] {
        oddInstruction
            ? BERTLV(tag: BERTag(0x85), value: cryptogram).encoded
            : BERTLV(tag: BERTag(0x87), value: [0x01] + cryptogram).encoded
    }

    /// When a checksum does not verify, tries the counters around the expected one, so that a counter out of step is
    /// named as such instead of being reported as a wrong key.
    static func mismatch(
        suite: SecureMessagingSuite,
        key: BlockCipherKey,
        counter: SendSequenceCounter,
        received: SecureMessagingDataObject,
        authenticatedData: (SendSequenceCounter) -> [UInt8],
        in what: String
    ) -> CryptoError {
        for distance in [1, -1, 2, -2, 3, -3, 4, -4] {
            let neighbour = counter.advanced(by: distance)
            if let checksum = try? suite.checksum(authenticatedData(neighbour), key: key), checksum == received.value {
                let direction = distance > 0 ? "ahead" : "behind"
                return CryptoError(
                    code: .counterOutOfStep,
                    reason: "the checksum of the \(what) (\(received.name)) verifies with send-sequence counter "
                        + "\(neighbour), not the expected \(counter): the sender's counter is \(distance.magnitude) "
                        + "\(direction) — an exchange was lost, repeated or protected twice"
                )
            }
        }
        let expected = (try? suite.checksum(authenticatedData(counter), key: key)).map { Hex.encode($0) } ?? "?"
        return CryptoError(
            code: .macMismatch,
            reason: "the checksum of the \(what) (\(received.name)) is \(Hex.encode(received.value)), but the "
                + "session keys give \(expected) with send-sequence counter \(counter): other keys, or bytes "
                + "changed on the way"
        )
    }
}

/// Whose turn it is in a session: commands and responses alternate, and an error ends the session for good, as
/// ICAO 9303-11 §9.8 has the chip abort secure messaging after an error, and a careful host does the same.
enum SecureMessagingTurn: Sendable, Hashable {
    case command
    case response(instruction: UInt8)
    case ended(reason: String)
}
