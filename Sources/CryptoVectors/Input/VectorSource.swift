import Foundation
import YAMLSource

/// A vector file's bytes with its path, read whole and checked to be UTF-8 text before any parser sees it.
struct VectorSource: Sendable {
    let path: String
    let bytes: [UInt8]

    /// Vector files are small (the largest published one here is 210 kB); anything beyond this is not a vector file,
    /// and refusing it keeps a wrong argument from filling memory.
    static let maximumSize = 64 << 20

    static func read(_ path: String) throws(Diagnostic) -> VectorSource {
        let start = SourceLocation(file: path, line: 1, column: 1)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Diagnostic("no such file", at: start)
        }
        guard !isDirectory.boolValue else { throw Diagnostic("is a directory, expected a vector file", at: start) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maximumSize else {
            throw Diagnostic("the file is \(size) bytes; vector files are at most \(maximumSize >> 20) MiB", at: start)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Diagnostic("cannot read the file (permissions?)", at: start)
        }
        return try self.checked([UInt8](data), path: path)
    }

    /// Bytes as if read from `path`, checked to be UTF-8 text.
    static func checked(_ bytes: [UInt8], path: String) throws(Diagnostic) -> VectorSource {
        if let bad = firstInvalidUTF8(bytes) {
            throw Diagnostic(
                "the file is not UTF-8 text: byte 0x\(String(bytes[bad.index], radix: 16, uppercase: true)) "
                    + "cannot start or continue a character", at: bad.location(in: path))
        }
        return VectorSource(path: path, bytes: bytes)
    }

    func location(_ position: TextPosition) -> SourceLocation {
        SourceLocation(file: self.path, line: position.line, column: position.column)
    }

    func diagnostic(_ message: String, at position: TextPosition) -> Diagnostic {
        Diagnostic(message, at: self.location(position))
    }

    /// The file split into lines (LF or CRLF), each with its 1-based number; columns are characters. Split on bytes:
    /// as Swift Characters, "\r\n" is one grapheme and would not split on "\n".
    var lines: [(number: Int, text: Substring)] {
        var result: [(Int, Substring)] = []
        var start = 0
        var number = 1
        for (index, byte) in self.bytes.enumerated() where byte == 0x0A {
            result.append((number, self.line(from: start, to: index)))
            start = index + 1
            number += 1
        }
        if start < self.bytes.count { result.append((number, self.line(from: start, to: self.bytes.count))) }
        return result
    }

    private func line(from start: Int, to end: Int) -> Substring {
        var end = end
        if end > start, self.bytes[end - 1] == 0x0D { end -= 1 }
        return Substring(String(decoding: self.bytes[start..<end], as: UTF8.self))
    }

    private struct BadByte {
        let index: Int
        let line: Int
        let column: Int
        func location(in path: String) -> SourceLocation {
            SourceLocation(file: path, line: self.line, column: self.column)
        }
    }

    /// Where the first byte that breaks UTF-8 is, with its line and column.
    private static func firstInvalidUTF8(_ bytes: [UInt8]) -> BadByte? {
        var index = 0
        var line = 1
        var column = 1
        while index < bytes.count {
            let byte = bytes[index]
            let length: Int
            switch byte {
            case 0x00..<0x80: length = 1
            case 0xC2..<0xE0: length = 2
            case 0xE0..<0xF0: length = 3
            case 0xF0..<0xF5: length = 4
            default: return BadByte(index: index, line: line, column: column)
            }
            guard index + length <= bytes.count,
                bytes[(index + 1)..<(index + length)].allSatisfy({ $0 & 0xC0 == 0x80 }),
                String(validating: bytes[index..<(index + length)], as: UTF8.self) != nil
            else { return BadByte(index: index, line: line, column: column) }
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += length
        }
        return nil
    }
}
