import APDU
import CardCrypto
import YAMLSource

/// Reads `free_area:` of a card profile (docs/card-ap-profile.md, "The profile"): every value checked, every problem
/// a `file:line:column` diagnostic; what is left out keeps the MCAP-1 default.
struct FreeAreaProfileReader {
    let holder: CardHolder

    func read(_ node: YAMLNode?) throws(Diagnostic) -> FreeAreaSetting? {
        guard let node else { return .standard(municipality: holder.municipalityCode) }
        if ChipProfileReader.isNone(node) { return nil }
        let map = try node.mapping(allowing: [
            "manager_aid", "suite", "regions", "created", "installed", "packages", "commands", "timing",
        ])
        var setting = FreeAreaSetting.standard(municipality: holder.municipalityCode)
        if let aidNode = map["manager_aid"] { setting.managerAID = try aid(aidNode) }
        if let suiteNode = map["suite"] { setting.suite = try suite(suiteNode) }
        if let regionsNode = map["regions"] {
            let regions = try regionsNode.mapping(allowing: FreeAreaRegion.allCases.map(\.rawValue))
            for name in regions.keys {
                let region = FreeAreaRegion(rawValue: name)!
                let fields = try regions.required(name).mapping(allowing: ["key", "capacity"])
                var value = setting.regions[region]!
                if let keyNode = fields["key"] { value.keySeed = try keySeed(keyNode) }
                if let capacityNode = fields["capacity"] { value.capacity = try capacityNode.int(in: 0...65_535) }
                setting.regions[region] = value
            }
        }
        if let commandsNode = map["commands"] {
            let commands = try commandsNode.mapping(allowing: FreeAreaInstructions.keys)
            var seen: [UInt8: String] = [:]
            for key in FreeAreaInstructions.keys {
                if let insNode = commands[key] { setting.instructions[key] = try instruction(insNode) }
                let ins = setting.instructions[key]!
                if let other = seen[ins] {
                    throw (commands[key] ?? commands[other] ?? commandsNode).error(
                        "\(key) and \(other) would both be INS \(Hex.encode([ins])); each command needs its own")
                }
                seen[ins] = key
            }
        }
        if let timingNode = map["timing"] {
            setting.timing = FreeAreaTimingModel(
                rawValue: try timingNode.choice(FreeAreaTimingModel.allCases.map(\.rawValue)))!
        }
        if let packagesNode = map["packages"] {
            let names = packagesNode.keyNodes.compactMap { try? $0.string() }
            let packages = try packagesNode.mapping(allowing: names)
            setting.packages = []
            var aids: [[UInt8]: String] = [:]
            for (name, keyNode) in zip(names, packagesNode.keyNodes) {
                guard let first = name.unicodeScalars.first, ("a"..."z").contains(first),
                    name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
                    )
                else {
                    throw keyNode.error(
                        "'\(name)' is not a package name: lower-case letters, digits and '-', starting with a letter")
                }
                let packageNode = try packages.required(name)
                let package = try readPackage(packageNode)
                if let other = aids[package.aid] {
                    throw packageNode.error("AID \(Hex.encode(package.aid)) is already package '\(other)''s")
                }
                if package.aid == setting.managerAID {
                    throw packageNode.error("AID \(Hex.encode(package.aid)) is the free-area manager's")
                }
                aids[package.aid] = name
                setting.packages.append((name, package))
            }
        }
        if let createdNode = map["created"] {
            for item in try createdNode.sequence() {
                setting.created.insert(
                    FreeAreaRegion(rawValue: try item.choice(FreeAreaRegion.allCases.map(\.rawValue)))!)
            }
        }
        if let installedNode = map["installed"] {
            try readInstalled(installedNode, into: &setting)
        }
        return setting
    }

    private func readInstalled(_ node: YAMLNode, into setting: inout FreeAreaSetting) throws(Diagnostic) {
        var used: [FreeAreaRegion: Int] = [:]
        var ids: Set<[UInt8]> = []
        var aids: Set<[UInt8]> = []
        for item in try node.sequence() {
            let fields = try item.mapping(allowing: ["package", "region", "user_id"])
            let nameNode = try fields.required("package")
            let name = try nameNode.string()
            guard let package = setting.package(named: name) else {
                let known = setting.packages.map(\.name).joined(separator: ", ")
                throw nameNode.error("no package '\(name)' in this profile; known: \(known)")
            }
            let regionNode = try fields.required("region")
            let region = FreeAreaRegion(rawValue: try regionNode.choice(FreeAreaRegion.allCases.map(\.rawValue)))!
            let idNode = try fields.required("user_id")
            let id = Array(try idNode.string().utf8)
            guard UserID.isWellFormed(id) else {
                throw idNode.error("a user ID is 13 characters of 0-9 and A-Z, the first a letter (never a My Number)")
            }
            guard !ids.contains(id) else {
                throw idNode.error("user ID \(String(decoding: id, as: UTF8.self)) is used twice")
            }
            guard !aids.contains(package.aid) else { throw nameNode.error("package '\(name)' is installed twice") }
            if region == .local, package.municipalityCode == nil || package.municipalityCode != holder.municipalityCode
            {
                throw regionNode.error(
                    "package '\(name)' is from municipality \(package.municipalityCode ?? "none"), not the holder's "
                        + "(\(holder.municipalityCode ?? "none")): it cannot be in the local region")
            }
            let capacity = setting.regions[region]?.capacity ?? 0
            used[region, default: 0] += package.size
            guard used[region]! <= capacity else {
                throw item.error("the \(region.rawValue) region (\(capacity) bytes) has no room for '\(name)'")
            }
            ids.insert(id)
            aids.insert(package.aid)
            setting.created.insert(region)
            setting.installed.append(.init(package: name, region: region, userID: id))
        }
    }

    private func readPackage(_ node: YAMLNode) throws(Diagnostic) -> CardAPPackage {
        let map = try node.mapping(allowing: [
            "type", "aid", "suite", "key", "password", "retry_limit", "municipality", "records", "data",
        ])
        let kind = CardAPPackage.Kind(rawValue: try map.required("type").choice(["A", "C", "D"]))!
        var package = CardAPPackage(kind: kind, aid: try aid(map.required("aid")))
        if kind == .typeC {
            for key in ["suite", "key", "password", "retry_limit", "records"] {
                if let extra = map[key] {
                    throw extra.error("a Type C has no \(key.replacingOccurrences(of: "_", with: " "))")
                }
            }
        } else {
            package.suite = try suite(map.required("suite"))
            package.keySeed = try keySeed(map.required("key"))
        }
        if let passwordNode = map["password"] {
            let password = Array(try passwordNode.string().utf8)
            guard (4...16).contains(password.count), password.allSatisfy({ (0x20...0x7E).contains($0) }) else {
                throw passwordNode.error("a password is 4 to 16 printable ASCII characters")
            }
            package.password = password
        }
        if let limitNode = map["retry_limit"] {
            guard package.password != nil else { throw limitNode.error("retry_limit needs a password") }
            package.retryLimit = try limitNode.int(in: 1...15)
        }
        package.municipalityCode = holder.municipalityCode
        if let codeNode = map["municipality"] {
            let code = try codeNode.string()
            guard code.utf8.count == 5, code.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw codeNode.error("'\(code)' is not a 5-digit municipality code (quote it, or YAML reads a number)")
            }
            package.municipalityCode = code
        }
        if let recordsNode = map["records"] {
            guard kind == .typeA else { throw recordsNode.error("only a Type A has records; give 'data'") }
            var data: [UInt8] = []
            for item in try recordsNode.sequence() {
                let value = try bytes(item)
                guard !value.isEmpty, value.count <= 127 else { throw item.error("a record is 1 to 127 bytes") }
                data += BERTLV(tag: BERTag(0x30), value: value).encoded
            }
            package.initialData = data
        }
        if let dataNode = map["data"] {
            guard kind != .typeA else { throw dataNode.error("a Type A holds records; give 'records'") }
            package.initialData = try bytes(dataNode)
        }
        if let problem = package.contentProblem { throw node.error(problem) }
        return package
    }

    /// Text (UTF-8) or `{ hex: … }`.
    private func bytes(_ node: YAMLNode) throws(Diagnostic) -> [UInt8] {
        if case .mapping = node.node {
            let map = try node.mapping(allowing: ["hex"])
            return try hex(map.required("hex"))
        }
        return Array(try node.string().utf8)
    }

    private func aid(_ node: YAMLNode) throws(Diagnostic) -> [UInt8] {
        let value = try hex(node)
        guard (5...16).contains(value.count) else {
            throw node.error("an AID is 5 to 16 bytes (ISO/IEC 7816-4); found \(value.count)")
        }
        return value
    }

    private func keySeed(_ node: YAMLNode) throws(Diagnostic) -> [UInt8] {
        let value = try hex(node)
        guard value.count == 16 else { throw node.error("a key is 16 bytes (32 hex digits); found \(value.count)") }
        return value
    }

    private func suite(_ node: YAMLNode) throws(Diagnostic) -> SecureMessagingSuite {
        SecureMessagingSuite(rawValue: try node.choice(SecureMessagingSuite.allCases.map(\.rawValue)))!
    }

    private func instruction(_ node: YAMLNode) throws(Diagnostic) -> UInt8 {
        let value = try hex(node)
        guard value.count == 1 else { throw node.error("an INS is one byte of hex, e.g. E0") }
        guard CommandAPDU.isValidInstruction(value[0]) else {
            throw node.error("INS \(Hex.encode(value)) is invalid (6x and 9x are procedure bytes, ISO/IEC 7816-3)")
        }
        guard ![0x84, 0x82, 0xA4].contains(value[0]) else {
            throw node.error("INS \(Hex.encode(value)) is GET CHALLENGE, MUTUAL AUTHENTICATE or SELECT in the manager")
        }
        return value[0]
    }

    private func hex(_ node: YAMLNode) throws(Diagnostic) -> [UInt8] {
        let text = try node.string()
        do {
            return try Hex.decode(text)
        } catch {
            guard let column = error.offset, error.offsetUnit == .column else { throw node.error("bad hex: \(error)") }
            throw node.error("bad hex: \(error.message)", atColumnInValue: column)
        }
    }
}
