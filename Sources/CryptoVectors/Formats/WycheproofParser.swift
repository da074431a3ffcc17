import APDU
import CardCrypto
import Foundation
import YAMLSource

/// Reads Wycheproof test-vector files (JSON, as published, unchanged) of three schemas: RSASSA-PKCS1-v1_5
/// verification, RSASSA-PKCS1-v1_5 generation, and MAC tests of AES-CMAC. Every test becomes one case at the line and
/// column of its `{`; every problem is reported at the line and column of the offending element.
enum WycheproofParser {
    enum Schema {
        case signatureVerification
        case signatureGeneration
        case mac
    }

    static let schemas: [String: Schema] = [
        "rsassa_pkcs1_verify_schema.json": .signatureVerification,
        "rsassa_pkcs1_verify_schema_v1.json": .signatureVerification,
        "rsassa_pkcs1_generate_schema.json": .signatureGeneration,
        "rsassa_pkcs1_generate_schema_v1.json": .signatureGeneration,
        "mac_test_schema.json": .mac,
        "mac_test_schema_v1.json": .mac,
    ]

    static func parse(_ source: VectorSource) throws(Diagnostic) -> [VectorCase] {
        let root: LocatedJSON
        do {
            root = try LocatedJSONReader.parse(source.bytes)
        } catch {
            throw source.diagnostic("JSON syntax: \(error.message)", at: error.position)
        }
        let document = JSONReader(source: source)
        try document.expectObject(root, "the file")
        let schemaNode = try document.member(root, "schema", of: "the file")
        let schemaName = try document.string(schemaNode, "schema")
        guard let schema = schemas[schemaName] else {
            throw source.diagnostic(
                "unsupported Wycheproof schema '\(schemaName)'; mynaconf runs "
                    + schemas.keys.sorted().joined(separator: ", "), at: schemaNode.position)
        }
        if schema == .mac {
            let algorithm = try document.member(root, "algorithm", of: "the file")
            let name = try document.string(algorithm, "algorithm")
            guard name == "AES-CMAC" else {
                throw source.diagnostic(
                    "the MAC tests are run for AES-CMAC only, not '\(name)'", at: algorithm.position)
            }
        }
        let groups = try document.array(try document.member(root, "testGroups", of: "the file"), "testGroups")
        var cases: [VectorCase] = []
        for (groupIndex, group) in groups.enumerated() {
            try document.expectObject(group, "a test group")
            cases += try self.cases(in: group, index: groupIndex, schema: schema, document: document)
        }
        guard !cases.isEmpty else {
            throw source.diagnostic("the file has no tests", at: root.position)
        }
        return cases
    }

    private static func cases(in group: LocatedJSON, index: Int, schema: Schema, document: JSONReader)
        throws(Diagnostic) -> [VectorCase]
    {
        let tests = try document.array(try document.member(group, "tests", of: "the test group"), "tests")
        var cases: [VectorCase] = []
        switch schema {
        case .signatureVerification:
            let key = try self.publicKey(of: group, document: document)
            let hash = try self.hash(of: group, document: document)
            for test in tests {
                let common = try document.testCommon(test)
                let message = try document.hex(try document.member(test, "msg", of: "the test"), "msg")
                let signature = try document.hex(try document.member(test, "sig", of: "the test"), "sig")
                cases.append(
                    common.makeCase(
                        .signatureVerification(key: key, hash: hash, message: message, signature: signature)))
            }
        case .signatureGeneration:
            let key = try self.privateKey(of: group, document: document)
            let hash = try self.hash(of: group, document: document)
            for test in tests {
                let common = try document.testCommon(test)
                let message = try document.hex(try document.member(test, "msg", of: "the test"), "msg")
                let signature = try document.hex(try document.member(test, "sig", of: "the test"), "sig")
                cases.append(
                    common.makeCase(
                        .signatureGeneration(key: key, group: index, hash: hash, message: message, signature: signature)
                    ))
            }
        case .mac:
            for test in tests {
                let common = try document.testCommon(test)
                let key = try document.hex(try document.member(test, "key", of: "the test"), "key")
                let message = try document.hex(try document.member(test, "msg", of: "the test"), "msg")
                let tag = try document.hex(try document.member(test, "tag", of: "the test"), "tag")
                cases.append(common.makeCase(.cmac(algorithm: .aes, key: key, message: message, tag: tag)))
            }
        }
        return cases
    }

    private static func hash(of group: LocatedJSON, document: JSONReader) throws(Diagnostic) -> HashAlgorithm {
        let node = try document.member(group, "sha", of: "the test group")
        let name = try document.string(node, "sha")
        let known: [String: HashAlgorithm] = [
            "SHA-1": .sha1, "SHA-224": .sha224, "SHA-256": .sha256, "SHA-384": .sha384, "SHA-512": .sha512,
        ]
        guard let hash = known[name] else {
            throw document.source.diagnostic(
                "hash '\(name)' has no DigestInfo here; mynaconf signs \(known.keys.sorted().joined(separator: ", "))",
                at: node.position)
        }
        return hash
    }

    /// The group's public key: `publicKeyDer` (SubjectPublicKeyInfo) in current files, `keyDer` in older ones, else
    /// `publicKey` with `modulus` and `publicExponent`.
    private static func publicKey(of group: LocatedJSON, document: JSONReader) throws(Diagnostic) -> RSAPublicKey {
        for name in ["publicKeyDer", "keyDer"] {
            if let node = group[name] {
                let der = try document.hex(node, name)
                do {
                    return try RSAPublicKey(derRepresentation: der)
                } catch {
                    throw document.source.diagnostic(
                        "\(name) is not an RSA public key: \(error.reason)", at: node.position)
                }
            }
        }
        if let node = group["publicKey"] {
            try document.expectObject(node, "publicKey")
            let modulus = try document.hex(try document.member(node, "modulus", of: "publicKey"), "modulus")
            let exponent = try document.hex(
                try document.member(node, "publicExponent", of: "publicKey"), "publicExponent")
            do {
                return try RSAPublicKey(modulus: modulus, publicExponent: exponent)
            } catch {
                throw document.source.diagnostic("publicKey is not an RSA key: \(error.reason)", at: node.position)
            }
        }
        throw document.source.diagnostic(
            "the test group has no public key (publicKeyDer, keyDer or publicKey)", at: group.position)
    }

    /// The group's private key: `privateKeyPkcs8` (DER, hex) or `privateKeyPem`.
    private static func privateKey(of group: LocatedJSON, document: JSONReader) throws(Diagnostic) -> RSAPrivateKey {
        if let node = group["privateKeyPkcs8"] {
            let der = try document.hex(node, "privateKeyPkcs8")
            let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            do {
                return try RSAPrivateKey(
                    pemRepresentation: "-----BEGIN PRIVATE KEY-----\n\(base64)\n-----END PRIVATE KEY-----\n")
            } catch {
                throw document.source.diagnostic(
                    "privateKeyPkcs8 is not an RSA private key: \(error.reason)", at: node.position)
            }
        }
        if let node = group["privateKeyPem"] {
            do {
                return try RSAPrivateKey(pemRepresentation: try document.string(node, "privateKeyPem"))
            } catch let error as CryptoError {
                throw document.source.diagnostic(
                    "privateKeyPem is not an RSA private key: \(error.reason)", at: node.position)
            } catch {
                throw error as! Diagnostic
            }
        }
        throw document.source.diagnostic(
            "the test group has no private key (privateKeyPkcs8 or privateKeyPem)", at: group.position)
    }
}

/// Typed access to JSON nodes, with every mismatch a diagnostic at the node.
struct JSONReader {
    let source: VectorSource

    func expectObject(_ node: LocatedJSON, _ what: String) throws(Diagnostic) {
        guard case .object = node.value else {
            throw self.source.diagnostic("\(what) should be an object, found \(node.kind)", at: node.position)
        }
    }

    func member(_ node: LocatedJSON, _ key: String, of what: String) throws(Diagnostic) -> LocatedJSON {
        guard let value = node[key] else {
            throw self.source.diagnostic("\(what) has no \"\(key)\"", at: node.position)
        }
        return value
    }

    func array(_ node: LocatedJSON, _ name: String) throws(Diagnostic) -> [LocatedJSON] {
        guard case .array(let elements) = node.value else {
            throw self.source.diagnostic("\"\(name)\" should be an array, found \(node.kind)", at: node.position)
        }
        return elements
    }

    func string(_ node: LocatedJSON, _ name: String) throws(Diagnostic) -> String {
        guard case .string(let text, _) = node.value else {
            throw self.source.diagnostic("\"\(name)\" should be a string, found \(node.kind)", at: node.position)
        }
        return text
    }

    /// A hex string; a bad digit is reported at its own column when the string has no escapes.
    func hex(_ node: LocatedJSON, _ name: String) throws(Diagnostic) -> [UInt8] {
        guard case .string(let text, let plain) = node.value else {
            throw self.source.diagnostic("\"\(name)\" should be a hex string, found \(node.kind)", at: node.position)
        }
        guard text.allSatisfy({ $0.isHexDigit && $0.isASCII }) else {
            let offset =
                text.firstIndex { !($0.isHexDigit && $0.isASCII) }.map { text.distance(from: text.startIndex, to: $0) }
                ?? 0
            var position = node.position
            if plain { position.column += 1 + offset }
            throw self.source.diagnostic(
                "\"\(name)\" is not hex: '\(text[text.index(text.startIndex, offsetBy: offset)])'", at: position)
        }
        guard text.count.isMultiple(of: 2) else {
            throw self.source.diagnostic(
                "\"\(name)\" has an odd number of hex digits (\(text.count))", at: node.position)
        }
        do {
            return try Hex.decode(text)
        } catch {
            throw self.source.diagnostic("\"\(name)\": \(error.message)", at: node.position)
        }
    }

    struct TestCommon {
        let location: SourceLocation
        let name: String
        let expectation: VectorExpectation
        let comment: String

        func makeCase(_ check: VectorCheck) -> VectorCase {
            VectorCase(
                location: self.location, name: self.name, expectation: self.expectation, comment: self.comment,
                check: check)
        }
    }

    /// tcId, comment and result, which every Wycheproof test has.
    func testCommon(_ test: LocatedJSON) throws(Diagnostic) -> TestCommon {
        try self.expectObject(test, "a test")
        let idNode = try self.member(test, "tcId", of: "the test")
        guard case .number(let id) = idNode.value, Int(id) != nil else {
            throw self.source.diagnostic("\"tcId\" should be a whole number, found \(idNode.kind)", at: idNode.position)
        }
        let resultNode = try self.member(test, "result", of: "the test")
        let result = try self.string(resultNode, "result")
        guard let expectation = VectorExpectation(rawValue: result) else {
            throw self.source.diagnostic(
                "\"result\" is \"valid\", \"invalid\" or \"acceptable\", not \"\(result)\"", at: resultNode.position)
        }
        let comment = try test["comment"].map { node throws(Diagnostic) in try self.string(node, "comment") } ?? ""
        return TestCommon(
            location: self.source.location(test.position), name: "tcId \(id)", expectation: expectation,
            comment: comment)
    }
}
