import CardCrypto
import Foundation

/// The committed test keys and small helpers shared by the suites.
enum Fixtures {
    static let keyNames = [
        "jpki-auth-ca", "jpki-sign-ca", "default-auth", "default-sign", "second-auth", "second-sign",
    ]

    /// `Vectors/keys/`, found from this file's path so the tests run from any working directory.
    static let keysDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Vectors/keys")

    static func pem(_ name: String) throws -> String {
        try String(contentsOf: keysDirectory.appendingPathComponent("\(name).pem"), encoding: .utf8)
    }

    static func key(_ name: String) throws -> RSAPrivateKey {
        try RSAPrivateKey(pemRepresentation: pem(name))
    }

    static func date(_ iso: String) -> CalendarDate {
        guard let date = CalendarDate(iso: iso) else { fatalError("bad date in a test: \(iso)") }
        return date
    }
}

/// The error `body` throws, or nil. `#require(throws:)` cannot infer its type from a typed-throws closure.
func caught<T>(_ body: () throws(CryptoError) -> T) -> CryptoError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
