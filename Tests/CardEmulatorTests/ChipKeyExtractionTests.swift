import APDU
import CardCrypto
import Testing

@testable import CardEmulator

/// The keys the other APs add — the text AP's `0013`, the visual AP's `001A`, the common AP's `0019` — are as
/// closed as the JPKI keys: every read path of `KeyExtractionTests` is refused, before and after the credentials,
/// and no response holds any 8-byte window of the private key.
@Suite("Private keys of the text, visual and common APs cannot be extracted")
struct ChipKeyExtractionTests {
    @Test(
        "No read path returns key material",
        arguments: [(selectText, "0013", "text"), (selectVisual, "001A", "visual"), (selectCommon, "0019", "common")])
    func noReadPathLeaks(select: String, keyFID: String, application: String) throws {
        let profile = try loadProfile()
        let key =
            switch application {
            case "text": try #require(profile.chip.text).key
            case "visual": try #require(profile.chip.visual).key
            default: try #require(profile.chip.common).key
            }
        let windows = KeyExtractionTests.secretWindows(key)
        let fid = try Hex.decode(keyFID)[1]
        for unlocked in [false, true] {
            var card = try makeCard()
            _ = try card.send(select)
            if unlocked {
                for (credential, value) in [("0011", "1234"), ("0013", defaultMyNumber), ("001C", "1234")] {
                    _ = try card.send(selectEF(credential))
                    _ = try card.send(verifyCommand(value))
                }
            }
            for attempt in KeyExtractionTests.readAttempts(fid: fid) {
                _ = try card.send(selectEF(keyFID))
                let response = card.process(try Hex.decode(attempt))
                #expect(!KeyExtractionTests.leaks(response, windows), "\(attempt) leaked key material")
                // 00 B2 01 0C 00 reads SFI 1, the common AP's card record: not an attempt on the key.
                if (attempt.hasPrefix("00B0") || attempt.hasPrefix("00B2")) && attempt != "00B2010C00" {
                    #expect(response.suffix(2) != [0x90, 0x00], "\(attempt) answered 90 00 on a key EF")
                }
            }
        }
    }
}
