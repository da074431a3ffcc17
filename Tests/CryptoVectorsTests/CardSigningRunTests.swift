import APDU
import CardCrypto
import CardEmulator
import TestSupport
import Testing
import Transport

@testable import CryptoVectors

/// The card-command runs: signatures through the emulated card's COMPUTE DIGITAL SIGNATURE.
@Suite("Signature vectors through the card's commands")
struct CardSigningRunTests {
    static let generation = "\(cryptoVectors)/wycheproof/rsa_pkcs1_2048_sig_gen_test.json"
    static let verification = "\(cryptoVectors)/wycheproof/rsa_signature_2048_sha256_test.json"

    @Test("--emulator: a card per generation group signs every message byte for byte; verification messages verify")
    func emulator() async throws {
        let files = [try VectorFile.load(path: Self.generation), try VectorFile.load(path: Self.verification)]
        let results = try await CardSigningRun.runOnEmulator(files)
        #expect(results.count == 2)
        #expect(results[0].passed == 32)
        #expect(results[0].acceptable == 11)
        #expect(results[0].failed == 0)
        // The verification file's valid cases: 7 + 1 + 1.
        #expect(results[1].passed == 9)
        #expect(results[1].failed == 0)
        #expect(results.allSatisfy { $0.label == " (on the emulated card)" })
    }

    @Test("A card holding another key fails every exact comparison, saying what it signed")
    func wrongKey() async throws {
        let file = try VectorFile.load(path: Self.generation)
        let sha256Group = file.cases.filter {
            if case .signatureGeneration(_, let group, _, _, _) = $0.check { group == 2 } else { false }
        }
        let other = try RSAPrivateKey(
            pemRepresentation: String(
                contentsOfFile: "\(repositoryRoot)/Vectors/keys/default-auth.pem", encoding: .utf8))
        let channel = EmulatedChannel(card: try CardSigningRun.emulatedCard(key: other, name: "other"))
        let results = try await CardSigningRun.signAndCompare(sha256Group, on: channel, pin: "1234")
        #expect(results.count == 8)
        for result in results {
            guard case .failed(let reason) = result.outcome else {
                Issue.record("\(result.vectorCase.name) passed on a card with another key")
                continue
            }
            #expect(reason.hasPrefix("the card signs "))
        }
    }

    @Test("The verification run on the default card profile (what --reader does on a real card)")
    func defaultCard() async throws {
        let profile = try CardProfile.load(path: "\(repositoryRoot)/Vectors/cards/default.yaml")
        let channel = EmulatedChannel(card: EmulatedCard(profile: profile, random: SeededRandomSource(seed: 3)))
        let results = try await CardSigningRun.runOnCard(
            [try VectorFile.load(path: Self.verification)], channel: channel, pin: profile.pins["auth"]!.value)
        #expect(results.count == 1)
        #expect(results[0].passed == 9)
        #expect(results[0].failed == 0)
    }

    @Test("A wrong PIN stops the run with the card's answer and never shows the PIN")
    func wrongPIN() async throws {
        let profile = try CardProfile.load(path: "\(repositoryRoot)/Vectors/cards/default.yaml")
        let channel = EmulatedChannel(card: EmulatedCard(profile: profile))
        do {
            _ = try await CardSigningRun.runOnCard(
                [try VectorFile.load(path: Self.verification)], channel: channel, pin: "9876")
            Issue.record("a wrong PIN was accepted")
        } catch let error as CardRunError {
            #expect(error.message.contains("the auth PIN was refused (63C2"), "\(error)")
            #expect(!error.message.contains("9876"))
        }
    }

    @Test("With one try left the run refuses to VERIFY at all; a blocked PIN likewise")
    func lastTry() async throws {
        for (name, tries) in [("auth-pin-one-try", "1 try left"), ("auth-pin-blocked", "0 tries left")] {
            let profile = try CardProfile.load(path: "\(repositoryRoot)/Vectors/cards/\(name).yaml")
            let channel = EmulatedChannel(card: EmulatedCard(profile: profile))
            do {
                _ = try await CardSigningRun.runOnCard(
                    [try VectorFile.load(path: Self.verification)], channel: channel, pin: profile.pins["auth"]!.value)
                Issue.record("\(name): the run went ahead")
            } catch let error as CardRunError {
                #expect(error.message.contains(tries), "\(error)")
            }
            let counter = await channel.snapshot.credential(JPKIApplication.authenticationPIN, in: "JPKI")?.counter
            #expect(counter?.remaining == (name == "auth-pin-one-try" ? 1 : 0), "no try was spent")
        }
    }
}
