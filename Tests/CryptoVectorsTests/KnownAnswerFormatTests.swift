import Foundation
import Testing

@testable import CryptoVectors

@Suite("mynaconf's known-answer format (.kat)")
struct KnownAnswerFormatTests {
    static let cmac = """
        # a comment
        title = two cases
        source = RFC 4493

        [aes-cmac]
        name = example 2
        key = 2b7e1516 28aed2a6
            abf71588 09cf4f3c
        message = 6bc1bee2 2e409f96 e93d7e11 7393172a
        tag = 070a16b4 6b4d4144 f79bdd9d d04a287c

        [aes-cmac]
        expect = invalid
        key = 2b7e151628aed2a6abf7158809cf4f3c
        message =
        tag = bb1d6929e95937287fa37d129b756747
        """

    @Test("Cases, continuation lines, empty values and expect = invalid")
    func parses() throws {
        let result = try run("cmac.kat", Self.cmac)
        #expect(result.results.count == 2)
        #expect(result.passed == 2)
        #expect(result.results[0].vectorCase.name == "example 2")
        #expect(result.results[0].vectorCase.location.line == 5)
        #expect(result.results[1].vectorCase.name == "[aes-cmac] at line 12")
    }

    @Test("A wrong expected value fails with what was computed and what the file says")
    func failingCase() throws {
        let result = try run("wrong.kat", Self.cmac.replacingOccurrences(of: "d04a287c", with: "d04a287d"))
        #expect(result.failed == 1)
        guard case .failed(let reason) = result.results[0].outcome else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason == "the CMAC is 070A16B46B4D4144F79BDD9DD04A287C, expected 070A16B46B4D4144F79BDD9DD04A287D")
    }

    @Test("CRLF line endings read the same")
    func crlf() throws {
        #expect(try run("crlf.kat", Self.cmac.replacingOccurrences(of: "\n", with: "\r\n")).passed == 2)
    }

    @Test(
        "Every malformed file is an error at its line and column",
        arguments: [
            ("key = 00\n", "x.kat:1:1: error: 'key' stands before the first [kind] line"),
            ("[aes-cmac\nkey = 00\n", "x.kat:1:1: error: a case opens with its kind in brackets"),
            ("[aes-cmca]\n", "x.kat:1:2: error: unknown kind 'aes-cmca' (did you mean 'aes-cmac'?)"),
            ("[aes-cmac]\nkey: 00\n", "x.kat:2:1: error: expected 'name = value'"),
            ("[aes-cmac]\nKey = 00\n", "x.kat:2:1: error: a field name is lower-case letters"),
            ("[aes-cmac]\ntga = 00\n", "x.kat:2:1: error: [aes-cmac] has no field 'tga' (did you mean 'tag'?)"),
            ("[aes-cmac]\nkey = 00\nmessage = 00\n", "x.kat:1:1: error: [aes-cmac] needs a 'tag' field"),
            (
                "[aes-cmac]\nkey = 00\nkey = 01\n",
                "x.kat:3:1: error: 'key' is given twice in this case (first on line 2)"
            ),
            ("[aes-cmac]\nkey = 00 0\nmessage =\ntag = 00\n", "x.kat:2:10: error: key: odd number of hex digits (3)"),
            ("[aes-cmac]\nkey = 00\n    0Z\nmessage =\ntag = 00\n", "x.kat:3:6: error: key: invalid hex digit 'Z'"),
            ("\n    00\n", "x.kat:2:5: error: an indented line continues the value of the field above it"),
            ("# only a comment\n", "x.kat:1:1: error: the file has no cases"),
            (
                "[key-derivation]\nsuite = des\nkey-seed = 00\nk-enc = 00\nk-mac = 00\n",
                "x.kat:2:9: error: suite is '3des' or 'aes128', not 'des'"
            ),
            (
                "[aes-cmac]\nexpect = maybe\nkey = 00\nmessage =\ntag = 00\n",
                "x.kat:2:1: error: expect is 'valid', 'invalid' or 'acceptable'"
            ),
            (
                "[aes-cmac]\nerror = macMismatch\nkey = 00\nmessage =\ntag = 00\n",
                "x.kat:2:1: error: 'error' names how an invalid case must be refused"
            ),
            (
                "[aes-cbc]\nkey = 00\niv = 00\nplaintext = 00\nciphertext = 00\n",
                "x.kat:1:1: error: an AES key is 16, 24, 32 bytes, not 1"
            ),
            (
                "[retail-mac]\npadding = iso\nkey = 00\nmessage = 00\nmac = 00\n",
                "x.kat:2:1: error: padding is 'method2'"
            ),
        ])
    func malformed(text: String, message: String) throws {
        let error = try loadError("x.kat", text)
        #expect(error?.hasPrefix(message) == true, "\(error ?? "no error")")
    }

    static let sessionHead = """
        [secure-messaging]
        suite = 3des
        ks-enc = 979EC13B1CBFE9DCD01AB0FED307EAE5
        ks-mac = F1CB1F1FB5ADF208806B89DC579DC1F8
        ssc = 887022120C06C226

        """

    @Test("Secure-messaging steps must come whole and in order")
    func steps() throws {
        let missing = try loadError("s.kat", Self.sessionHead + "command = 00A4020C02011E\nprotected-command = 00\n")
        #expect(
            missing?.hasPrefix("s.kat:7:1: error: step 1 ends without 'protected-response'") == true, "\(missing ?? "")"
        )
        let swapped = try loadError("s.kat", Self.sessionHead + "protected-command = 00\ncommand = 00\n")
        #expect(
            swapped?.hasPrefix("s.kat:6:1: error: 'protected-command' where step 1 needs 'command'") == true,
            "\(swapped ?? "")")
        let none = try loadError("s.kat", Self.sessionHead)
        #expect(none?.contains("needs at least one step") == true)
    }

    @Test("A session step that does not match is named: which step, which side, which bytes")
    func sessionMismatch() throws {
        let text =
            Self.sessionHead + """
                command = 00A4020C02011E
                protected-command = 0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800
                protected-response = 990290008E08FA855A5D4C50A8ED9000
                response = 6A82
                """
        let result = try run("s.kat", text)
        guard case .failed(let reason) = result.results[0].outcome else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason.hasPrefix("step 1 (00A4020C): the card protects its response as 99026A828E08"), "\(reason)")
    }
}

@Suite("NIST CAVP .rsp files")
struct CAVPFormatTests {
    static let tdes = """
        # CAVS 11.1\r
        [ENCRYPT]\r
        \r
        COUNT = 0\r
        KEY1 = 34a41a8c293176c1\r
        KEY2 = b30732ecfe38ae8a\r
        KEY3 = 34a41a8c293176c1\r
        IV = f55b4855228bd0b4\r
        PLAINTEXT = 7dd880d2a9ab411c\r
        CIPHERTEXT = c91892948b6cadb4\r
        \r
        [DECRYPT]\r
        \r
        COUNT = 0\r
        KEY1 = 34a41a8c293176c1\r
        KEY2 = b30732ecfe38ae8a\r
        KEY3 = 34a41a8c293176c1\r
        IV = f55b4855228bd0b4\r
        CIPHERTEXT = c91892948b6cadb4\r
        PLAINTEXT = 7dd880d2a9ab411c\r

        """

    @Test("Records in both sections, at the line of their COUNT")
    func records() throws {
        let result = try run("TCBCMMT2.rsp", Self.tdes)
        #expect(result.passed == 2)
        #expect(result.results.map(\.vectorCase.name) == ["COUNT 0 [ENCRYPT]", "COUNT 0 [DECRYPT]"])
        #expect(result.results.map(\.vectorCase.location.line) == [4, 14])
    }

    @Test("A changed ciphertext fails in the direction that was asked")
    func failing() throws {
        let result = try run(
            "TCBCMMT2.rsp",
            Self.tdes.replacingOccurrences(
                of: "CIPHERTEXT = c91892948b6cadb4\r\n\r\n[DECRYPT]",
                with: "CIPHERTEXT = c91892948b6cadb5\r\n\r\n[DECRYPT]"))
        #expect(result.failed == 1)
        #expect(result.passed == 1)
    }

    @Test(
        "Malformed records are errors at their place",
        arguments: [
            ("COUNT = 0\n", "TCBCMMT2.rsp:1:1: error: a record before any [ENCRYPT] or [DECRYPT] section"),
            ("[ENCRYPT]\nKEY1 = 00\n", "TCBCMMT2.rsp:2:1: error: 'KEY1' outside a record"),
            ("[ENCRYPT]\nCOUNT = 0\nSALT = 00\n", "TCBCMMT2.rsp:3:1: error: unknown field 'SALT'"),
            ("[VERIFY]\n", "TCBCMMT2.rsp:1:1: error: unknown section [VERIFY]"),
            ("[ENCRYPT]\nCOUNT = 0\nKEY1 = 00\nKEY1 = 00\n", "TCBCMMT2.rsp:4:1: error: 'KEY1' is given twice"),
            (
                "[ENCRYPT]\nCOUNT = 0\nKEY1 = 0102030405060708\nKEY2 = 0102030405060708\nKEY3 = 0102030405060708\nIV = 0102030405060708\nPLAINTEXT = 0102030405060708\n",
                "TCBCMMT2.rsp:2:1: error: the record has no CIPHERTEXT"
            ),
            (
                "[ENCRYPT]\nCOUNT = 0\nKEY1 = 01020304050607x8\n",
                "TCBCMMT2.rsp:3:22: error: KEY1: invalid hex digit 'x'"
            ),
            ("# nothing\n", "TCBCMMT2.rsp:1:1: error: no records"),
            ("[ENCRYPT]\nCOUNT\n", "TCBCMMT2.rsp:2:1: error: expected 'NAME = value'"),
        ])
    func malformed(text: String, message: String) throws {
        let error = try loadError("TCBCMMT2.rsp", text)
        #expect(error?.hasPrefix(message) == true, "\(error ?? "no error")")
    }

    @Test("A file whose name gives no mode, and Monte Carlo for triple DES, are refused")
    func unsupported() throws {
        #expect(try loadError("vectors.rsp", Self.tdes)?.contains("cannot tell the mode from the file name") == true)
        #expect(
            try loadError("TCBCMonte2.rsp", Self.tdes)?.contains("Monte Carlo records are run for AES-CBC only") == true
        )
    }
}

@Suite("Files that are not vector files at all")
struct UnreadableFileTests {
    @Test("An oversized file is refused before it is read (a sparse 65 MiB file costs no disk)")
    func oversized() throws {
        let path = try temporaryFile("huge.kat", "")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 65 << 20)
        try handle.close()
        do {
            _ = try VectorFile.load(path: path)
            Issue.record("a 65 MiB file was read")
        } catch {
            #expect("\(error)".hasSuffix(":1:1: error: the file is 68157440 bytes; vector files are at most 64 MiB"))
        }
    }

    @Test("Invalid UTF-8 is located at its byte's line and column")
    func notUTF8() throws {
        do {
            _ = try VectorFile.parse(Array("[aes-cmac]\nkey = 0".utf8) + [0xFF], path: "x.kat")
            Issue.record("invalid UTF-8 was read")
        } catch {
            #expect(
                "\(error)"
                    == "x.kat:2:8: error: the file is not UTF-8 text: byte 0xFF cannot start or continue a character")
        }
        // A character cut short: the error is at the character's first byte.
        do {
            _ = try VectorFile.parse(Array("# \u{E9}".utf8).dropLast() + Array("\n".utf8), path: "y.kat")
            Issue.record("a cut character was read")
        } catch {
            #expect("\(error)".hasPrefix("y.kat:1:3: error: the file is not UTF-8 text: byte 0xC3"))
        }
    }
}
