import Scenario

/// The scenario language's install phase names; in a file of its own because the module and its main type are both
/// called Scenario, so `Scenario.InstallPhase` cannot be spelt where CardEmulator's is visible too.
func scenarioInstallPhaseNames() -> [String] { InstallPhase.allCases.map(\.rawValue) }
