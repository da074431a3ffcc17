import APDU
import CardCrypto
import Foundation
import TestSupport
import Testing

@testable import CardEmulator

let textAID = "D3921000310001010408"
let visualAID = "D3921000310001010402"
let jukiAID = "D3921000310001010401"
let commonAID = "D3921000310001010100"
let selectText = "00A4040C0A" + textAID
let selectVisual = "00A4040C0A" + visualAID
let selectJuki = "00A4040C0A" + jukiAID
let selectCommon = "00A4040C0A" + commonAID

/// The default card's values, as its profile and the research document give them.
let defaultMyNumber = "123456789018"
/// 照合番号B of the default holder: 昭和55年01月01日 → 550101, expiry 2035, security code 2285.
let defaultCodeB = "55010120352285"

/// `00 20 00 80 Lc <value>`: VERIFY of the current EF with an ASCII value.
func verifyCommand(_ value: String) -> String { apdu("00200080", data: ascii(value)) }

/// Reads the current EF whole: 256-byte chunks from offset 0 until a short chunk or 6B00.
func readWhole(_ card: inout EmulatedCard) throws -> [UInt8] {
    var content: [UInt8] = []
    while true {
        let response = try card.exchange(
            Hex.encode([0x00, 0xB0, UInt8(content.count >> 8), UInt8(content.count & 0xFF), 0x00]))
        if response.statusWord == StatusWord(0x6B, 0x00) { return content }
        #expect(response.statusWord == .success)
        content += response.data
        if response.data.count < 256 { return content }
    }
}

/// The value of the TLV object at `path` (two-byte tags as hex) inside `data`.
func tlvValue(_ data: [UInt8], _ path: String...) throws -> [UInt8] {
    let object = try tlvObject(data, path)
    return try #require(object).value
}

func tlvObject(_ data: [UInt8], _ path: [String]) throws -> BERTLV? {
    let (top, _) = try BERTLV.parseFirst(data)
    #expect(top.tag == (try BERTag(hex: path[0])))
    var node = top
    for tag in path.dropFirst() {
        guard let child = node.children?.first(where: { $0.tag == (try? BERTag(hex: tag)) }) else { return nil }
        node = child
    }
    return node
}

/// The bytes of each child of the outer object as written, with where it starts in the file.
func children(_ data: [UInt8]) throws -> [(tlv: BERTLV, start: Int, bytes: [UInt8])] {
    let (outer, length) = try BERTLV.parseFirst(data)
    let header = length - outer.value.count
    var result: [(BERTLV, Int, [UInt8])] = []
    var position = 0
    while position < outer.value.count {
        let (child, childLength) = try BERTLV.parseFirst(outer.value[position...])
        result.append((child, header + position, Array(outer.value[position..<(position + childLength)])))
        position += childLength
    }
    return result
}

/// Keys committed in Vectors/keys.
func committedKey(_ name: String) throws -> RSAPrivateKey {
    try RSAPrivateKey(
        pemRepresentation: String(contentsOfFile: "\(repositoryRoot)/Vectors/keys/\(name).pem", encoding: .utf8))
}
