import APDU
import Testing

@Suite struct ResponseAPDUTests {
    @Test func splitsDataAndStatusWord() throws {
        let response = try ResponseAPDU(bytes: [0x01, 0x02, 0x03, 0x90, 0x00])
        #expect(response.data == [0x01, 0x02, 0x03])
        #expect(response.statusWord == .success)
        #expect(response.bytes == [0x01, 0x02, 0x03, 0x90, 0x00])
        #expect(response.description == "01 02 03 | 9000 (normal processing, no further qualification)")
    }

    @Test func statusWordOnly() throws {
        let response = try ResponseAPDU(hex: "63 C2")
        #expect(response.data.isEmpty)
        #expect(response.statusWord.triesLeft == 2)
        #expect(response == ResponseAPDU(statusWord: .verificationFailed(triesLeft: 2)))
        #expect(response.description == "63C2 (verification failed, 2 tries left)")
    }

    @Test(arguments: ["", "90"])
    func needsTwoBytes(_ hex: String) throws {
        let bytes = try Hex.decode(hex)
        let error = try #require(throws: APDUError.tooShort()) { try ResponseAPDU(bytes: bytes) }
        #expect(error.message == "a response APDU needs at least 2 bytes (SW1 SW2), got \(bytes.count)")
    }

    @Test func roundTripsManyLengths() throws {
        for count in [0, 1, 255, 256, 65536] {
            let data = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
            let response = ResponseAPDU(data: data, statusWord: .success)
            #expect(try ResponseAPDU(bytes: response.bytes) == response)
        }
    }
}
