import CardCrypto
import Testing

@Suite("CryptoError")
struct CryptoErrorTests {
    @Test("Equality and hashing use the code only")
    func equality() {
        let a = CryptoError(code: .inputTooLong, reason: "246 bytes")
        let b = CryptoError(code: .inputTooLong, reason: "something else")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != CryptoError(code: .emptyInput, reason: "246 bytes"))
        #expect(Set([a, b, CryptoError(code: .emptyInput)]).count == 2)
    }

    @Test("The description names the code, the reason and where it was raised")
    func description() {
        let error = CryptoError(code: .invalidPEM, reason: "no BEGIN line")
        #expect(error.description.hasPrefix("CryptoError.invalidPEM: no BEGIN line "))
        #expect(error.description.contains("CryptoErrorTests.swift:"))
        #expect(error.reason == "no BEGIN line")
    }

    @Test("OpenSSL's own words reach the reason")
    func openSSLDetail() throws {
        let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        let error = try #require(caught { () throws(CryptoError) in try RSAPrivateKey(pemRepresentation: garbage) })
        #expect(error.code == .invalidPEM)
        #expect(error.reason.contains("OpenSSL: error:"))
    }
}
