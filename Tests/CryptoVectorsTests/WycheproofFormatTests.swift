import Foundation
import Testing

@testable import CryptoVectors

@Suite("Wycheproof JSON files")
struct WycheproofFormatTests {
    static func cmacFile(_ tests: String, schema: String = "mac_test_schema_v1.json", algorithm: String = "AES-CMAC")
        -> String
    {
        """
        {
          "algorithm": "\(algorithm)",
          "schema": "\(schema)",
          "testGroups": [
            {
              "keySize": 128,
              "tagSize": 128,
              "type": "MacTest",
              "tests": [
        \(tests)
              ]
            }
          ]
        }
        """
    }

    static let rfcExample =
        #"        {"tcId": 1, "comment": "RFC 4493 example 1", "flags": [], "key": "2b7e151628aed2a6abf7158809cf4f3c", "msg": "", "tag": "bb1d6929e95937287fa37d129b756746", "result": "valid"}"#

    @Test("A test is located at its '{', named by its tcId, and carries its comment")
    func locations() throws {
        let result = try run("cmac.json", Self.cmacFile(Self.rfcExample))
        #expect(result.passed == 1)
        let only = result.results[0].vectorCase
        #expect((only.location.line, only.location.column) == (10, 9))
        #expect(only.name == "tcId 1")
        #expect(only.comment == "RFC 4493 example 1")
    }

    @Test("valid, invalid and acceptable are judged as Wycheproof means them")
    func judged() throws {
        let tests = [
            Self.rfcExample,
            #"        {"tcId": 2, "key": "2b7e151628aed2a6abf7158809cf4f3c", "msg": "", "tag": "bb1d6929e95937287fa37d129b756747", "result": "invalid"}"#,
            #"        {"tcId": 3, "key": "2b7e15", "msg": "", "tag": "bb1d6929e95937287fa37d129b756746", "result": "invalid"}"#,
            #"        {"tcId": 4, "key": "2b7e151628aed2a6abf7158809cf4f3c", "msg": "", "tag": "bb1d6929e95937287fa37d129b756746", "result": "acceptable"}"#,
            #"        {"tcId": 5, "key": "2b7e151628aed2a6abf7158809cf4f3c", "msg": "", "tag": "bb1d6929e95937287fa37d129b756746", "result": "invalid"}"#,
        ].joined(separator: ",\n")
        let result = try run("cmac.json", Self.cmacFile(tests))
        #expect(result.passed == 3)
        #expect(result.acceptable == 1)
        #expect(result.failed == 1)
        #expect(result.results[4].outcome == .failed("accepted, but the file marks this case invalid"))
    }

    @Test(
        "Malformed files: errors at the line and column of the offending element",
        arguments: [
            (
                #"        {"tcId": 1, "key": "2b7e15zz", "msg": "", "tag": "", "result": "valid"}"#,
                "w.json:10:35: error: \"key\" is not hex: 'z'"
            ),
            (
                #"        {"tcId": 1, "key": "2b7", "msg": "", "tag": "", "result": "valid"}"#,
                "w.json:10:28: error: \"key\" has an odd number of hex digits"
            ),
            (
                #"        {"tcId": 1, "msg": "", "tag": "", "result": "valid"}"#,
                "w.json:10:9: error: the test has no \"key\""
            ),
            (
                #"        {"tcId": "1", "key": "", "msg": "", "tag": "", "result": "valid"}"#,
                "w.json:10:18: error: \"tcId\" should be a whole number, found a string"
            ),
            (
                #"        {"tcId": 1, "key": 7, "msg": "", "tag": "", "result": "valid"}"#,
                "w.json:10:28: error: \"key\" should be a hex string, found a number"
            ),
            (
                #"        {"tcId": 1, "key": "", "msg": "", "tag": "", "result": "fine"}"#,
                "w.json:10:64: error: \"result\" is \"valid\", \"invalid\" or \"acceptable\""
            ),
            (
                #"        {"tcId": 1, "key": "", "key": "", "msg": "", "tag": "", "result": "valid"}"#,
                "w.json:10:32: error: JSON syntax: duplicate key \"key\" (first at line 10, column 21)"
            ),
            (
                #"        {"tcId": 1, "key": "",}"#,
                "w.json:10:31: error: JSON syntax: a member name in double quotes was expected"
            ),
            (#"        [1]"#, "w.json:10:9: error: a test should be an object, found an array"),
        ])
    func malformed(test: String, message: String) throws {
        let error = try loadError("w.json", Self.cmacFile(test))
        #expect(error?.hasPrefix(message) == true, "\(error ?? "no error")")
    }

    @Test("Unsupported schemas and algorithms are named with their place")
    func unsupported() throws {
        let schema = try loadError("w.json", Self.cmacFile(Self.rfcExample, schema: "ecdsa_verify_schema.json"))
        #expect(
            schema?.hasPrefix("w.json:3:13: error: unsupported Wycheproof schema 'ecdsa_verify_schema.json'") == true,
            "\(schema ?? "")")
        let algorithm = try loadError("w.json", Self.cmacFile(Self.rfcExample, algorithm: "HMACSHA256"))
        #expect(
            algorithm?.hasPrefix("w.json:2:16: error: the MAC tests are run for AES-CMAC only") == true,
            "\(algorithm ?? "")")
        #expect(try loadError("w.json", "[]")?.hasPrefix("w.json:1:1: error: the file should be an object") == true)
        #expect(try loadError("w.json", "{}")?.hasPrefix("w.json:1:1: error: the file has no \"schema\"") == true)
    }

    @Test("A verification vector whose signature was changed fails: the verifier's refusal is reported")
    func changedSignature() throws {
        let path = "\(cryptoVectors)/wycheproof/rsa_signature_2048_sha256_test.json"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        // tcId 1's signature starts 840f5dac; change one digit.
        text = text.replacingOccurrences(of: "\"sig\": \"840f5dac", with: "\"sig\": \"840f5dad")
        let result = try run("rsa.json", text)
        #expect(result.failed == 1, "the edit did not take: the file's layout changed")
        #expect(
            result.results.first { $0.vectorCase.name == "tcId 1" }?.outcome
                == .failed("the strict PKCS#1 v1.5 verifier refuses the signature"))
    }
}
