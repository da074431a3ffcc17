import Foundation
import Testing

@testable import Reports

@Suite("Atomic report files")
struct ReportFileTests {
    func entries(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test("Creates missing parent directories and leaves only the report, no temporary file")
    func createsParents() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out/ci/junit.xml").path
        try ReportFile.writeAtomically("<a/>\n", to: path)
        #expect(FileManager.default.contents(atPath: path) == Data("<a/>\n".utf8))
        #expect(try entries(directory.appendingPathComponent("out/ci")) == ["junit.xml"])
    }

    @Test("checkWritable makes the missing directories, leaves no file, and says which level is not a directory")
    func checkWritable() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try ReportFile.checkWritable(directory.appendingPathComponent("out/ci/junit.xml").path)
        #expect(try entries(directory.appendingPathComponent("out/ci")) == [])
        let file = directory.appendingPathComponent("plain-file")
        try ReportFile.writeAtomically("x", to: file.path)
        let error = #expect(throws: ReportError.self) {
            try ReportFile.checkWritable(file.path + "/deeper/junit.xml")
        }
        #expect(error?.reason == "cannot create directory \(file.path)/deeper: \(file.path) is a file, not a directory")
        let directoryError = #expect(throws: ReportError.self) { try ReportFile.checkWritable(directory.path) }
        #expect(directoryError?.reason == "a directory of that name exists")
    }

    @Test("An existing file is replaced whole: a shorter report leaves nothing of the longer one, permissions kept")
    func replacesWhole() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("report.json").path
        try ReportFile.writeAtomically(String(repeating: "long ", count: 10_000), to: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        try ReportFile.writeAtomically("short\n", to: path)
        #expect(FileManager.default.contents(atPath: path) == Data("short\n".utf8))
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o640)
        #expect(try entries(directory) == ["report.json"])
    }

    @Test("A relative path in the current directory's terms works")
    func relativePath() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Relative to the process's directory: write through a path that climbs out of it and back in.
        let current = FileManager.default.currentDirectoryPath
        let relative =
            String(repeating: "../", count: current.split(separator: "/").count) + directory.path.dropFirst()
            + "/r.txt"
        try ReportFile.writeAtomically("x", to: relative)
        #expect(FileManager.default.contents(atPath: directory.appendingPathComponent("r.txt").path) == Data("x".utf8))
    }

    @Test("A parent that is a file gives a ReportError naming the path and the reason; nothing is written")
    func parentIsAFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("plain-file")
        try ReportFile.writeAtomically("x", to: file.path)
        let path = file.path + "/junit.xml"
        let error = #expect(throws: ReportError.self) { try ReportFile.writeAtomically("<a/>", to: path) }
        #expect(error?.path == path)
        #expect(error?.description.contains(path) == true)
        #expect(error?.reason.contains("not a directory") == true, "\(error?.description ?? "")")
        #expect(try entries(directory) == ["plain-file"])
    }

    @Test("A directory in the report's place gives a ReportError and is left alone")
    func pathIsADirectory() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("junit.xml")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        let error = #expect(throws: ReportError.self) { try ReportFile.writeAtomically("<a/>", to: target.path) }
        #expect(error?.reason == "a directory of that name exists")
        let trailingSlash = #expect(throws: ReportError.self) {
            try ReportFile.writeAtomically("<a/>", to: directory.path + "/")
        }
        #expect(trailingSlash?.reason == "the path names a directory")
        #expect(try entries(directory) == ["junit.xml"])
        #expect(try entries(target) == [])
    }

    @Test("A directory no one may write to (read-only file system) gives a clear ReportError")
    func unwritableDirectory() throws {
        // Root ignores permission bits, so use a place no one can create files in: /proc is a read-only tree.
        let path = "/proc/mynaconf-report.xml"
        let error = #expect(throws: ReportError.self) { try ReportFile.writeAtomically("<a/>", to: path) }
        #expect(
            error?.description.hasPrefix("cannot write report /proc/mynaconf-report.xml: cannot create a file in /proc")
                == true,
            "\(error?.description ?? "")")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("An empty path is refused")
    func emptyPath() {
        #expect(throws: ReportError(path: "", reason: "the path is empty")) {
            try ReportFile.writeAtomically("x", to: "")
        }
    }
}
