import CardEmulator
import Scenario
import Testing

/// MCAP-1 is written down twice, because the layers may not share it: the card's defaults (CardEmulator) and the
/// installer steps' defaults (Scenario). Both sides must say the same bytes and phase names.
@Suite("The free area's command profile: the card and the scenario language agree")
struct CommandProfileAgreementTests {
    @Test("Default INS bytes of every management command")
    func instructions() {
        let card = FreeAreaInstructions()
        let steps = FreeAreaCommands()
        #expect(
            [steps.createRegion, steps.load, steps.writeUserID, steps.activate, steps.delete, steps.moveOut] == [
                card.createRegion, card.load, card.writeUserID, card.activate, card.delete, card.moveOut,
            ])
    }

    @Test("Install phase names, in order")
    func phases() {
        #expect(CardEmulator.InstallPhase.allCases.map(\.rawValue) == scenarioInstallPhaseNames())
    }
}
