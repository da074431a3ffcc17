import ArgumentParser
import CardEmulator
import Foundation
import Runner
import Transport

/// `mynaconf selftest`: the JPKI checks on the built-in emulator, printed one line each.
struct SelfTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Run the JPKI byte-level checks against the built-in emulated card.",
        discussion: "The checks spend PIN tries; they run on an emulated card only."
    )

    @Option(name: .long, help: "Card profile: a name from Vectors/cards (e.g. default) or a path to a YAML file.")
    var card = "default"

    func run() async throws {
        let profile: CardProfile
        do {
            profile = try CardProfileLocator.load(card)
        } catch {
            throw Failure.input("\(error)")
        }
        guard let authPIN = profile.pins["auth"]?.value else {
            throw Failure.input("\(profile.sourcePath ?? card): the profile has no auth PIN")
        }
        let channel = EmulatedChannel(card: EmulatedCard(profile: profile))
        let selfTest = JPKISelfTest(
            channel: channel,
            card: SelfTestCard(
                authPIN: authPIN,
                signPassword: profile.jpki.signingCertificate == nil ? nil : profile.pins["sign"]?.value,
                asOf: profile.asOf
            )
        )
        print(
            "mynaconf selftest: card profile '\(profile.name)' (\(profile.sourcePath ?? "?")), as of \(profile.asOf), on \(channel.readerName)"
        )
        let results = await selfTest.run()
        for result in results {
            print("\(result.passed ? "PASS" : "FAIL") \(result.id)  \(result.title)")
            if !result.passed { print("     \(result.detail)") }
        }
        let failed = results.filter { !$0.passed }.count
        print("\(results.count - failed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
