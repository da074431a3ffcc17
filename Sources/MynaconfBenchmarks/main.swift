// MynaconfBenchmarks: the speed targets of the emulated card, measured in a release build (`make bench`) and
// recorded in docs/benchmarks.md. Timings never live in unit tests: a loaded CI machine would make them flaky.
import APDU
import CardCrypto
import CardEmulator
import Foundation

/// One measured quantity with the budget it must stay under.
struct Measurement {
    var name: String
    var samples: [Duration]
    var budget: Duration

    var median: Duration { samples.sorted()[samples.count / 2] }
    var p95: Duration { samples.sorted()[min(samples.count - 1, samples.count * 95 / 100)] }
    var withinBudget: Bool { p95 <= budget }
}

func microseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let value = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    return String(format: "%10.1f µs", value)
}

func measure(_ name: String, runs: Int, budget: Duration, _ body: () throws -> Void) rethrows -> Measurement {
    let clock = ContinuousClock()
    try body()  // warm-up
    var samples: [Duration] = []
    samples.reserveCapacity(runs)
    for _ in 0..<runs { samples.append(try clock.measure(body)) }
    return Measurement(name: name, samples: samples, budget: budget)
}

let profilePath = CommandLine.arguments.dropFirst().first ?? "Vectors/cards/default.yaml"
let profile: CardProfile
do {
    profile = try CardProfile.load(path: profilePath)
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}

func command(_ hex: String) -> [UInt8] { try! Hex.decode(hex) }
let selectJPKI = command("00A4040C0AD392F000260100000001")
let selectCertificate = command("00A4020C02000A")
let readChunk = command("00B0000000")
let emptyVerify = command("00200098")
let verifyPIN = command("0020009804") + Array(profile.pins["auth"]!.value.utf8)
let selectKey = command("00A4020C020017")
let sign = command("802A008033") + DigestInfo.of(.sha256, message: Array("bench".utf8)) + [0x00]

var card = EmulatedCard(profile: profile, random: SeededRandomSource(seed: 1))
_ = card.process(selectJPKI)

var results = [
    try measure("profile load (issues 4 certificates)", runs: 20, budget: .milliseconds(250)) {
        _ = try CardProfile.load(path: profilePath)
    },
    measure("APDU: SELECT EF", runs: 20_000, budget: .microseconds(50)) {
        _ = card.process(selectCertificate)
    },
    measure("APDU: READ BINARY 256 bytes", runs: 20_000, budget: .microseconds(50)) {
        _ = card.process(readChunk)
    },
    measure("APDU: empty VERIFY (tries left)", runs: 20_000, budget: .microseconds(50)) {
        _ = card.process(emptyVerify)
    },
    measure("APDU: VERIFY + SELECT key + COMPUTE DIGITAL SIGNATURE", runs: 200, budget: .milliseconds(10)) {
        _ = card.process(verifyPIN)
        _ = card.process(selectKey)
        _ = card.process(sign)
    },
]

results += try secureMessagingMeasurements(runs: 5_000)

print("mynaconf benchmarks (\(profilePath)); p95 must stay within budget")
print("name                                                      median          p95       budget")
for result in results {
    let name = result.name.padding(toLength: 52, withPad: " ", startingAt: 0)
    let verdict = result.withinBudget ? "ok" : "OVER BUDGET"
    print(
        "\(name) \(microseconds(result.median)) \(microseconds(result.p95)) \(microseconds(result.budget))  \(verdict)")
}
print("protected READ BINARY of 255 bytes per second (from the median):")
for result in results where result.name.hasPrefix("SM ") {
    let (seconds, attoseconds) = result.median.components
    let perSecond = 1 / (Double(seconds) + Double(attoseconds) / 1e18)
    print(
        "  \(result.name.padding(toLength: 52, withPad: " ", startingAt: 0)) \(String(format: "%10.0f", perSecond)) /s")
}
let over = results.filter { !$0.withinBudget }.count
print("\(results.count - over) passed, \(over) failed")
exit(over == 0 ? 0 : 1)
