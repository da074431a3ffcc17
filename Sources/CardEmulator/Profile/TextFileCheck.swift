import APDU
import CardCrypto
import Foundation
import YAMLSource

/// Checks the text-AP file contents a profile gives as hex (`text_ap.files`), so that a profile describing a
/// card no client could read is refused at load, at the byte that is wrong: the layouts of research §3.2.
enum TextFileCheck {
    /// EF 0001: `FF 10 0C`, the holder's 12-digit My Number with a valid check digit, `FF` filler to 17 bytes.
    static func myNumberFile(_ node: YAMLNode, holder: CardHolder, allowBadCheckDigit: Bool) throws(Diagnostic)
        -> [UInt8]
    {
        let (bytes, text) = try decode(node)
        func fail(_ message: String, at index: Int) -> Diagnostic {
            node.error("EF 0001: \(message)", atColumnInValue: column(ofByte: index, in: text))
        }
        guard bytes.count == TextApplication.myNumberFileSize else {
            throw node.error(
                "EF 0001 is \(bytes.count) bytes; the card's is \(TextApplication.myNumberFileSize) "
                    + "(clients read exactly 17: 00 B0 00 00 11)")
        }
        guard bytes.starts(with: [0xFF, 0x10, 0x0C]) else {
            throw fail("expected FF 10 0C (tag FF10, 12 bytes)", at: 0)
        }
        let digits = Array(bytes[3..<15])
        if let bad = digits.firstIndex(where: { !(0x30...0x39).contains($0) }) {
            throw fail("byte \(Hex.encode([digits[bad]])) is not an ASCII digit", at: 3 + bad)
        }
        let number = String(decoding: digits, as: UTF8.self)
        if !CardHolder.isValidMyNumber(number) && !allowBadCheckDigit {
            throw fail(
                "\(number) has a wrong check digit (個人番号の検査用数字); declare the fault my_number_check_digit "
                    + "for a deliberately faulty card", at: 14)
        }
        guard number == holder.myNumber else {
            throw fail("holds \(number) but holder.my_number is \(holder.myNumber) (照合番号A must match it)", at: 3)
        }
        if let filler = bytes[15...].firstIndex(where: { $0 != 0xFF }) {
            throw fail("filler after the number must be FF", at: filler)
        }
        return bytes
    }

    /// EF 0002: `FF 20` { `DF 21` offsets, `DF 22` name (UTF-8), `DF 23` address (UTF-8), `DF 24` birth date
    /// `YYYYMMDD`, `DF 25` sex `0`/`1`/`2`/`9` }, each offset counted from the start of the file.
    static func attributesFile(_ node: YAMLNode, allowBadOffsets: Bool) throws(Diagnostic) -> [UInt8] {
        let (bytes, text) = try decode(node)
        func fail(_ message: String, at index: Int) -> Diagnostic {
            node.error("EF 0002: \(message)", atColumnInValue: column(ofByte: index, in: text))
        }
        let outer: BERTLV
        let outerLength: Int
        do {
            (outer, outerLength) = try BERTLV.parseFirst(bytes)
        } catch {
            throw fail("not BER-TLV: \(error.message)", at: error.offset ?? 0)
        }
        guard outer.tag == CardFileTLV.tag(0xFF20) else { throw fail("expected tag FF20, found \(outer.tag)", at: 0) }
        let header = outerLength - outer.value.count
        if let filler = bytes[outerLength...].firstIndex(where: { $0 != 0xFF && $0 != 0x00 }) {
            throw fail("only FF or 00 filler may follow the FF20 object", at: filler)
        }
        // Walk the children keeping where each starts in the file, which is what the offset table must say.
        var children: [(tlv: BERTLV, start: Int)] = []
        var position = 0
        while position < outer.value.count {
            do {
                let (child, length) = try BERTLV.parseFirst(outer.value[position...])
                children.append((child, header + position))
                position += length
            } catch {
                throw fail("not BER-TLV inside FF20: \(error.message)", at: header + position + (error.offset ?? 0))
            }
        }
        let expected: [UInt16] = [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25]
        guard children.map(\.tlv.tag) == expected.map(CardFileTLV.tag) else {
            throw fail(
                "FF20 must hold DF21, DF22, DF23, DF24, DF25 in that order; it holds "
                    + children.map(\.tlv.tag.description).joined(separator: ", "), at: header)
        }
        let table = children[0]
        let tableValueStart = table.start + 2 + BERTLV.encodeLength(table.tlv.value.count).count
        guard table.tlv.value.count == 8 else {
            throw fail("the DF21 offset table has \(table.tlv.value.count) bytes; 4 offsets need 8", at: table.start)
        }
        for (index, child) in children.dropFirst().enumerated() {
            let declared = Int(table.tlv.value[index * 2]) << 8 | Int(table.tlv.value[index * 2 + 1])
            if declared != child.start && !allowBadOffsets {
                throw fail(
                    String(
                        format: "offset table entry %d says %04X but %@ starts at %04X (offsets count from the "
                            + "start of the file); declare the fault text_offset_table for a deliberately faulty card",
                        index, declared, child.tlv.tag.description, child.start),
                    at: tableValueStart + index * 2)
            }
        }
        for (child, what) in [(children[1], "name (DF22)"), (children[2], "address (DF23)")] {
            guard String(bytes: child.tlv.value, encoding: .utf8) != nil else {
                throw fail("the \(what) is not valid UTF-8", at: child.start)
            }
        }
        let birth = String(decoding: children[3].tlv.value, as: UTF8.self)
        guard children[3].tlv.value.count == 8, CalendarDate(yyyymmdd: birth) != nil else {
            throw fail("the birth date (DF24) '\(birth)' is not a date YYYYMMDD", at: children[3].start)
        }
        guard children[4].tlv.value.count == 1, [0x30, 0x31, 0x32, 0x39].contains(children[4].tlv.value[0]) else {
            throw fail("the sex (DF25) must be one byte: 0, 1, 2 or 9 in ASCII", at: children[4].start)
        }
        return bytes
    }

    private static func decode(_ node: YAMLNode) throws(Diagnostic) -> ([UInt8], String) {
        let text = try node.string()
        do {
            return (try Hex.decode(text), text)
        } catch {
            guard let column = error.offset, error.offsetUnit == .column else { throw node.error("bad hex: \(error)") }
            throw node.error("bad hex: \(error.message)", atColumnInValue: column)
        }
    }

    /// The 1-based column of the first hex digit of byte `index` in `text` (spaces and other separators skipped).
    static func column(ofByte index: Int, in text: String) -> Int {
        var digits = 0
        for (offset, character) in text.enumerated() where character.isHexDigit {
            if digits == index * 2 { return offset + 1 }
            digits += 1
        }
        return 1
    }
}
