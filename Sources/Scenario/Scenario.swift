// Scenario: the YAML scenario language — its model, the parser with file:line:column diagnostics, validation,
// variables and captures. It knows APDUs, never a reader or a card.

/// The version of the scenario language this build reads.
public enum ScenarioLanguage {
    public static let version = 1
}
