import APDU
import Testing

@Suite struct StatusWordTests {
    @Test(arguments: [
        ("9000", "normal processing, no further qualification"),
        ("6984", "referenced data not usable"),
        ("6982", "security status not satisfied"),
        ("6983", "authentication method blocked"),
        ("6A82", "file or application not found"),
        ("63C2", "verification failed, 2 tries left"),
        ("63C1", "verification failed, 1 try left"),
        ("63C0", "verification failed, 0 tries left"),
        ("6B00", "wrong parameters P1-P2"),
        ("6D00", "instruction code not supported or invalid"),
        ("6E00", "class not supported"),
        ("6F00", "no precise diagnosis"),
        ("6700", "wrong length, no further indication"),
        ("6282", "end of file or record reached before reading Ne bytes, or unsuccessful search"),
        ("6281", "part of returned data may be corrupted"),
        ("6300", "warning, state of non-volatile memory changed, no information given"),
        ("6381", "file filled up by the last write"),
        ("6581", "memory failure"),
        ("6882", "secure messaging not supported"),
        ("6986", "command not allowed (no current EF)"),
        ("6988", "incorrect secure messaging data objects"),
        ("6A86", "incorrect parameters P1-P2"),
        ("6A88", "referenced data or reference data not found"),
        ("6110", "16 more bytes available (GET RESPONSE)"),
        ("6100", "256 or more bytes available (GET RESPONSE)"),
        ("6C10", "wrong Le: exact length is 16"),
        ("6C00", "wrong Le: exact length is 256"),
        ("6299", "warning, state of non-volatile memory unchanged"),
        ("69F0", "command not allowed"),
        ("9100", "unknown status word"),
        ("6001", "unknown status word"),
        ("6701", "unknown status word"),
        ("6B01", "unknown status word"),
    ])
    func meaning(_ hex: String, _ meaning: String) throws {
        let sw = try StatusWord(hex: hex)
        #expect(sw.meaning == meaning)
        #expect(sw.description == "\(hex) (\(meaning))")
    }

    @Test func meaningsAreLowerCaseExceptNames() {
        let names: Set = ["P1-P2", "Le", "Ne", "Nc", "CLA", "EF", "DF", "TLV", "GET", "RESPONSE"]
        for raw in 0x6000...0x9FFF {
            let sw = StatusWord(rawValue: UInt16(raw))
            let words = sw.meaning.split { " (),:".contains($0) }.map(String.init)
            let shouting = words.filter { $0 != $0.lowercased() && !names.contains($0) }
            #expect(shouting.isEmpty, "\(sw)")
        }
    }

    @Test func namedConstantsHaveTheirISOValues() {
        let expected: [(StatusWord, UInt16)] = [
            (.success, 0x9000), (.wrongLength, 0x6700), (.securityStatusNotSatisfied, 0x6982),
            (.authenticationMethodBlocked, 0x6983), (.referencedDataNotUsable, 0x6984),
            (.conditionsOfUseNotSatisfied, 0x6985), (.commandNotAllowed, 0x6986),
            (.commandIncompatibleWithFileStructure, 0x6981), (.securityMessagingDataObjectsMissing, 0x6987),
            (.securityMessagingDataObjectsIncorrect, 0x6988), (.wrongData, 0x6A80), (.functionNotSupported, 0x6A81),
            (.fileNotFound, 0x6A82), (.recordNotFound, 0x6A83), (.notEnoughMemory, 0x6A84), (.incorrectP1P2, 0x6A86),
            (.lcInconsistentWithP1P2, 0x6A87), (.referencedDataNotFound, 0x6A88), (.wrongP1P2, 0x6B00),
            (.instructionNotSupported, 0x6D00), (.classNotSupported, 0x6E00), (.noPreciseDiagnosis, 0x6F00),
            (.endOfFileReachedBeforeLe, 0x6282),
        ]
        for (sw, raw) in expected { #expect(sw.rawValue == raw, "\(sw)") }
    }

    @Test func triesLeft() {
        #expect(StatusWord(0x63, 0xC2).triesLeft == 2)
        #expect(StatusWord(0x63, 0xCF).triesLeft == 15)
        #expect(StatusWord(0x63, 0x00).triesLeft == nil)
        #expect(StatusWord(0x62, 0xC2).triesLeft == nil)
        #expect(StatusWord.success.triesLeft == nil)
        #expect(StatusWord.verificationFailed(triesLeft: 3).rawValue == 0x63C3)
        #expect(StatusWord.verificationFailed(triesLeft: 0).rawValue == 0x63C0)
        #expect(StatusWord.verificationFailed(triesLeft: -1).rawValue == 0x63C0)
        #expect(StatusWord.verificationFailed(triesLeft: 20).rawValue == 0x63CF)
    }

    @Test func successIs9000Only() {
        #expect(StatusWord.success.isSuccess)
        #expect(!StatusWord(0x61, 0x10).isSuccess)
        #expect(!StatusWord(0x90, 0x01).isSuccess)
        #expect(!StatusWord.referencedDataNotUsable.isSuccess)
    }

    @Test func bytesAndHalves() {
        var sw = StatusWord(0x69, 0x84)
        #expect(sw.rawValue == 0x6984 && sw.sw1 == 0x69 && sw.sw2 == 0x84 && sw.bytes == [0x69, 0x84])
        sw.sw2 = 0x82
        #expect(sw == .securityStatusNotSatisfied)
        sw.sw1 = 0x6A
        #expect(sw == .fileNotFound)
    }

    @Test(arguments: ["6984", "69 84", "69:84", " 69 84\n", "69\t84"].map { HexCase(text: $0, expected: "6984") })
    func parsesHex(_ hexCase: HexCase) throws {
        #expect(try StatusWord(hex: hexCase.text) == .referencedDataNotUsable)
    }

    @Test func rejectsHexOfTheWrongSize() throws {
        var error = try #require(throws: APDUError.tooShort()) { try StatusWord(hex: "69") }
        #expect(error.message == "a status word is 2 bytes, got 1")
        #expect(error.offset == 3)
        error = try #require(throws: APDUError.trailingBytes()) { try StatusWord(hex: "69 84 00") }
        #expect(error.message == "a status word is 2 bytes, got 3")
        #expect(error.offset == 7)
        #expect(throws: APDUError.invalidHex()) { try StatusWord(hex: "69 8G") }
    }
}
