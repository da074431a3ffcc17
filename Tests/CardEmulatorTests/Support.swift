import APDU
import CardCrypto
import Foundation
import TestSupport
import Testing

@testable import CardEmulator

func profilePath(_ name: String) -> String { "\(repositoryRoot)/Vectors/cards/\(name).yaml" }

/// Profiles are loaded once per name: each load issues certificates with RSA, and tests only read them.
private let profileCache = ProfileCache()

private final class ProfileCache: @unchecked Sendable {
    private let lock = NSLock()
    private var profiles: [String: CardProfile] = [:]

    func profile(_ name: String) throws -> CardProfile {
        lock.lock()
        defer { lock.unlock() }
        if let cached = profiles[name] { return cached }
        let loaded = try CardProfile.load(path: profilePath(name))
        profiles[name] = loaded
        return loaded
    }
}

func loadProfile(_ name: String = "default") throws -> CardProfile { try profileCache.profile(name) }

func makeCard(_ name: String = "default") throws -> EmulatedCard {
    EmulatedCard(profile: try loadProfile(name), random: SeededRandomSource(seed: 42))
}

extension EmulatedCard {
    /// Sends a command written as hex and returns the whole response as upper-case hex without spaces.
    mutating func send(_ hex: String) throws -> String {
        Hex.encode(process(try Hex.decode(hex)))
    }

    /// Sends a command and returns the response split into data and status word.
    mutating func exchange(_ hex: String) throws -> ResponseAPDU {
        try ResponseAPDU(bytes: process(try Hex.decode(hex)))
    }
}

let jpkiAID = "D392F000260100000001"
let selectJPKI = "00A4040C0A" + jpkiAID

func selectEF(_ fid: String) -> String { "00A4020C02" + fid }

/// A command APDU as hex: CLA INS P1 P2 [Lc data] [Le].
func apdu(_ header: String, data: [UInt8] = [], le: Int? = nil) -> String {
    var hex = header
    if !data.isEmpty { hex += Hex.encode([UInt8(data.count)]) + Hex.encode(data) }
    if let le { hex += Hex.encode([UInt8(le & 0xFF)]) }
    return hex
}

func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
