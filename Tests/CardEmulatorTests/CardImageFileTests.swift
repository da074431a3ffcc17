import Foundation
import TestSupport
import Testing

@testable import CardEmulator

/// The committed card-face images are real images, decoded by tools that share nothing with mynaconf (OpenJPEG's
/// opj_decompress, ImageMagick's identify), and exactly what scripts/make-card-images renders.
@Suite("Card-face image files")
struct CardImageFileTests {
    static let images = "\(repositoryRoot)/Vectors/cards/images"

    @discardableResult
    func tool(_ path: String, _ arguments: [String]) throws -> String {
        let result = try runTool(path, arguments)
        #expect(result.status == 0, "\(result)")
        return result.stdout
    }

    @Test("OpenJPEG decodes each face photo: 120×150, one 8-bit grey component", arguments: ["default", "second"])
    func photosDecode(name: String) throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("face-\(UUID().uuidString).pgm")
        defer { try? FileManager.default.removeItem(at: output) }
        try tool("/usr/bin/opj_decompress", ["-i", "\(Self.images)/\(name)-face.jp2", "-o", output.path])
        let pgm = [UInt8](try Data(contentsOf: output))
        // A binary PGM: P5, width, height, maximum value (comment lines may come between), then a byte per pixel.
        var tokens: [String] = []
        var index = 0
        while tokens.count < 4, index < pgm.count {
            if pgm[index] == UInt8(ascii: "#") {
                while index < pgm.count, pgm[index] != 0x0A { index += 1 }
            } else if pgm[index] > 0x20 {
                var token = ""
                while index < pgm.count, pgm[index] > 0x20 {
                    token.append(Character(UnicodeScalar(pgm[index])))
                    index += 1
                }
                tokens.append(token)
                continue
            }
            index += 1
        }
        #expect(tokens == ["P5", "120", "150", "255"])
        #expect(pgm.count - (index + 1) == 120 * 150, "one whitespace byte ends the header")
    }

    @Test(
        "ImageMagick reads every rendered field as a 1-bit greyscale PNG of the card's sizes",
        arguments: ["default", "second"])
    func pngsDecode(name: String) throws {
        let sizes = ["name": "320 32", "address": "640 32", "my-number": "72 12", "security-code": "24 12"]
        for (field, size) in sizes {
            let described = try tool(
                "/usr/bin/identify",
                [
                    "-format", "%m %w %h %[png:IHDR.bit-depth-orig] %[png:IHDR.color-type-orig]",
                    "\(Self.images)/\(name)-\(field).png",
                ])
            // Bit depth 1 and colour type 0 (greyscale), as the IHDR chunk says.
            #expect(described == "PNG \(size) 1 0", "\(name)-\(field).png: \(described)")
        }
    }

    @Test("scripts/make-card-images renders the committed images byte for byte")
    func imagesAreTheScriptsOutput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("images-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try tool(
            "\(repositoryRoot)/scripts/make-card-images",
            ["default", "山田　太郎", "東京都千代田区千代田１－１", "123456789018", "2285", directory.path])
        for field in ["face.jp2", "face.jpg", "name.png", "address.png", "my-number.png", "security-code.png"] {
            let made = try Data(contentsOf: directory.appendingPathComponent("default-\(field)"))
            let committed = try Data(contentsOf: URL(fileURLWithPath: "\(Self.images)/default-\(field)"))
            #expect(made == committed, "default-\(field) differs from the script's output")
        }
    }

    @Test("The loader's own checks agree: every committed image is the format its field needs")
    func loaderAgrees() throws {
        for name in ["default", "second"] {
            let jp2 = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(Self.images)/\(name)-face.jp2")))
            #expect(CardImageFormat.jp2Greyscale.problem(with: jp2) == nil)
            for field in ["name", "address", "my-number", "security-code"] {
                let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(Self.images)/\(name)-\(field).png")))
                #expect(CardImageFormat.png1Bit.problem(with: png) == nil, "\(name)-\(field)")
            }
        }
    }
}
