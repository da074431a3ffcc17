import APDU
import Testing

@Suite struct APDUErrorTests {
    @Test func equalityComparesCodeOnly() {
        #expect(APDUError.tooShort("one", offset: 1) == APDUError.tooShort("two", offset: 9))
        #expect(APDUError.tooShort() != APDUError.truncated())
        #expect(Set([APDUError.tooShort("a"), APDUError.tooShort("b")]).count == 1)
    }

    @Test func descriptionShowsPositionWhenKnown() {
        #expect(
            APDUError.lengthMismatch("Lc says 5 data bytes but 3 follow", offset: 4).description
                == "at byte 4: Lc says 5 data bytes but 3 follow")
        #expect(
            APDUError.invalidHex("invalid hex digit 'G'", offset: 7).description
                == "column 7: invalid hex digit 'G'")
        #expect(APDUError.valueTooLong("too long").description == "too long")
    }

    @Test func codesAreDistinctAndNamed() {
        let codes: [APDUError.Code] = [
            .invalidHex, .tooShort, .lengthMismatch, .trailingBytes, .invalidLength, .invalidTag, .truncated,
            .valueTooLong,
        ]
        #expect(Set(codes).count == codes.count)
        #expect(APDUError.Code.trailingBytes.description == "trailingBytes")
    }
}
