import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A report file that could not be written: which path, and why, in words a person can act on.
public struct ReportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The report's path as given.
    public var path: String
    /// What failed, e.g. "cannot create directory out/reports: Not a directory".
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write report \(path): \(reason)" }
}

/// Writes report files so a reader never sees half of one: an interrupted or failed write leaves the old file (or
/// none), never a truncated one.
public enum ReportFile {
    /// Writes to a temporary file in the same directory, fsyncs, then renames over `path`. Creates missing parent
    /// directories. An existing file keeps its permissions. Errors say which path and why; no temporary file is
    /// left behind.
    public static func writeAtomically(_ text: String, to path: String) throws(ReportError) {
        func failure(_ what: String, _ code: Int32 = errno) -> ReportError {
            ReportError(path: path, reason: "\(what): \(String(cString: strerror(code)))")
        }
        let (directory, name) = try prepareDirectory(for: path)

        var existing = stat()
        let replacing = stat(path, &existing) == 0
        if replacing && (existing.st_mode & S_IFMT) == S_IFDIR {
            throw ReportError(path: path, reason: "a directory of that name exists")
        }

        let temporary = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw failure("cannot create a file in \(directory)") }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }

        if replacing { fchmod(fd, existing.st_mode & 0o7777) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write \(temporary)")
            }
            written += result
        }
        guard fsync(fd) == 0 else { throw failure("cannot flush \(temporary) to disk") }
        closed = true
        guard close(fd) == 0 else { throw failure("cannot close \(temporary)") }
        guard rename(temporary, path) == 0 else { throw failure("cannot rename \(temporary) over it") }
        renamed = true

        // The rename is durable once the directory is on disk too; a failure here loses nothing already written.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Whether a report can be written at `path`, checked before a run starts so a long run on a card does not end
    /// in a report that cannot be written: creates missing parent directories and a file beside the target, which
    /// it removes again.
    public static func checkWritable(_ path: String) throws(ReportError) {
        let (directory, name) = try prepareDirectory(for: path)
        var existing = stat()
        if stat(path, &existing) == 0 && (existing.st_mode & S_IFMT) == S_IFDIR {
            throw ReportError(path: path, reason: "a directory of that name exists")
        }
        let probe = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).check"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw ReportError(
                path: path, reason: "cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        close(fd)
        unlink(probe)
    }

    /// The report's directory, created when missing, and its file name.
    private static func prepareDirectory(for path: String) throws(ReportError) -> (directory: String, name: String) {
        guard !path.isEmpty else { throw ReportError(path: path, reason: "the path is empty") }
        guard !path.hasSuffix("/") else { throw ReportError(path: path, reason: "the path names a directory") }

        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        // mkdir(2) one level at a time, so a failure names the level and the system's reason (Foundation's
        // createDirectory says only "The operation could not be completed").
        var level = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            level += "/\(component)"
            if mkdir(level, 0o777) == 0 || errno == EEXIST {
                var status = stat()
                guard stat(level, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
                    throw ReportError(
                        path: path, reason: "cannot create directory \(directory): \(level) is a file, not a directory")
                }
                continue
            }
            throw ReportError(
                path: path, reason: "cannot create directory \(level): \(String(cString: strerror(errno)))")
        }

        return (directory, name)
    }
}
