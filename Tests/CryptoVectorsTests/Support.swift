import Foundation

/// The repository's root, found from this file, so tests read the committed vector files.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
