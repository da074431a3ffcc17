import Foundation
import YAMLSource

/// Finds card profiles by name (`default`) or path, so `--card default` works from the source tree, from an
/// installed copy (`make install` puts them in `share/mynaconf/Vectors`), or wherever `MYNACONF_VECTORS` says.
public enum CardProfileLocator {
    /// The `Vectors` folders searched, in order.
    public static func vectorsDirectories() -> [String] {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["MYNACONF_VECTORS"], !configured.isEmpty {
            candidates.append(configured)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        let prefix = executable.deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(prefix.appendingPathComponent("share/mynaconf/Vectors").path)
        // From the source tree: walk up from the working directory and from the executable (.build/debug/…).
        for start in [URL(fileURLWithPath: FileManager.default.currentDirectoryPath), executable] {
            var directory = start
            for _ in 0..<6 {
                candidates.append(directory.appendingPathComponent("Vectors").path)
                directory.deleteLastPathComponent()
            }
        }
        var seen = Set<String>()
        return candidates.filter { seen.insert($0).inserted && FileManager.default.fileExists(atPath: $0 + "/cards") }
    }

    /// The file a `--card` value names: an existing path as given, else `<Vectors>/cards/<name>.yaml` — where a name
    /// may carry a folder (`faulty/readable-auth-key` is `cards/faulty/readable-auth-key.yaml`).
    public static func path(for card: String) throws(Diagnostic) -> String {
        let isFileName = card.hasSuffix(".yaml") || card.hasSuffix(".yml")
        if isFileName || (card.contains("/") && FileManager.default.fileExists(atPath: card)) {
            return card
        }
        let directories = vectorsDirectories()
        let isName = !card.hasPrefix("/") && !card.split(separator: "/").contains("..")
        for directory in directories where isName {
            let path = "\(directory)/cards/\(card).yaml"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        // A path that names nothing: the loader says it cannot read it, naming the path as given.
        if card.contains("/") { return card }
        let searched =
            directories.isEmpty
            ? "no Vectors folder found; set MYNACONF_VECTORS"
            : directories.map { $0 + "/cards" }.joined(separator: ", ")
        // Faulty profiles live in cards/faulty/ and are named faulty/NAME; the old faulty-NAME spelling is pointed there.
        let bare = card.hasPrefix("faulty-") ? String(card.dropFirst("faulty-".count)) : card
        let hint =
            directories.contains { FileManager.default.fileExists(atPath: "\(faultyDirectory($0))/\(bare).yaml") }
            ? "; did you mean 'faulty/\(bare)'?" : ""
        throw Diagnostic("no card profile named '\(card)' (searched \(searched))\(hint)", at: nil)
    }

    /// The profile names available (`default`, `faulty/readable-auth-key`), for help text and errors.
    public static func availableProfiles() -> [String] {
        guard let directory = vectorsDirectories().first else { return [] }
        return profileNames(in: directory + "/cards", prefix: "")
            + profileNames(in: faultyDirectory(directory), prefix: "faulty/")
    }

    /// The folder of deliberately faulty profiles inside a `Vectors` folder.
    public static func faultyDirectory(_ vectors: String) -> String { vectors + "/cards/faulty" }

    private static func profileNames(in directory: String, prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.map { prefix + String($0.dropLast(5)) }.sorted()
    }

    public static func load(_ card: String) throws(Diagnostic) -> CardProfile {
        try CardProfile.load(path: path(for: card))
    }
}
