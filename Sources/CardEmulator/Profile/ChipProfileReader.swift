import APDU
import CardCrypto
import Foundation
import YAMLSource

/// Reads the parts of a card profile beyond JPKI — `card_issuer`, `text_ap`, `visual_ap`, `juki_ap`,
/// `common_ap`, `faults`, `revocation` and the holder's card-face fields — and checks that they make a card a
/// client could read: every file's layout, every image's format, the card face's size. Every problem is a
/// `file:line:column` diagnostic; a deliberate fault (`faults:`) relaxes exactly the check it needs.
struct ChipProfileReader {
    let file: YAMLFile
    var base: ProfileReader { ProfileReader(file: file) }

    /// The faults a profile declares, read leniently (the full check reports a bad list where it is).
    static func declaredFaults(in file: YAMLFile) -> Set<CardFault> {
        guard case .mapping(let pairs) = file.root.node else { return [] }
        for (key, value) in pairs where key.string == "faults" {
            guard case .sequence(let items) = value else { return [] }
            return Set(items.compactMap { $0.string.flatMap(CardFault.init(rawValue:)) })
        }
        return []
    }

    func complete(_ profile: inout CardProfile) throws(Diagnostic) {
        let root = try file.root.mapping(allowing: file.root.keyNodes.compactMap { try? $0.string() })
        if let node = root["faults"] {
            profile.chip.faults = Set(
                try node.sequence().map { (item) throws(Diagnostic) in
                    CardFault(rawValue: try item.choice(CardFault.allCases.map(\.rawValue)))!
                })
        }
        try readFaultDeclaration(root, into: &profile)
        let holderNode = try root.required("holder")
        try readHolderFields(holderNode, into: &profile.holder)

        let present = { (key: String) -> YAMLNode? in
            guard let node = root[key], !Self.isNone(node) else { return nil }
            return node
        }
        if present("text_ap") != nil || present("visual_ap") != nil {
            guard let issuerNode = present("card_issuer") else {
                throw (present("text_ap") ?? present("visual_ap"))!.error(
                    "the 券面 APs need 'card_issuer' (the keys behind their CV certificates)")
            }
            let map = try issuerNode.mapping(allowing: ["text_ca_key", "visual_ca_key", "municipality_key"])
            profile.chip.issuer = CardIssuerKeys(
                textCA: try base.loadKey(map.required("text_ca_key")),
                visualCA: try base.loadKey(map.required("visual_ca_key")),
                municipality: try base.loadKey(map.required("municipality_key")))
        }
        if let node = present("text_ap") { profile.chip.text = try readText(node, profile: profile) }
        if let node = present("visual_ap") { profile.chip.visual = try readVisual(node, profile: profile) }
        if let node = present("juki_ap") {
            try requirePIN("juki", for: node, profile: profile, root: root)
            _ = try node.mapping(allowing: ["retry_limits", "tries_left"])
            var content = JukiAPContent()
            content.counters = try readCounters(node, names: ["pin"], pinShorthand: ("juki", profile))
            profile.chip.juki = content
        }
        if let node = present("common_ap") {
            try requirePIN("juki", for: node, profile: profile, root: root)
            try requireHolder(["card_expiry", "municipality_code", "card_serial"], profile, node, holderNode)
            let map = try node.mapping(allowing: ["key", "retry_limits", "tries_left"])
            var content = CommonAPContent(key: try base.loadKey(map.required("key")))
            content.counters = try readCounters(node, names: ["pin"], pinShorthand: ("juki", profile))
            profile.chip.common = content
        }
        if let node = present("revocation") { try RevocationSetting.check(node, profile: &profile, reader: base) }
        try completeFreeArea(&profile, root: root)

        // Build once, so a key that cannot sign or a card face too large for READ BINARY is refused here.
        let applications: [CardApplication]
        do {
            applications = try profile.otherApplications()
        } catch {
            throw (present("text_ap") ?? present("visual_ap") ?? file.root).error("cannot build the card: \(error)")
        }
        if let visual = applications.first(where: { $0.name == "visual" }),
            case .transparent(let face)? = visual.files[VisualApplication.cardFace],
            face.content.count > VisualApplication.maximumCardFaceSize, let node = present("visual_ap")
        {
            throw node.error(
                "the card face (EF 0002) would be \(face.content.count) bytes; READ BINARY's 15-bit offset reaches "
                    + "\(VisualApplication.maximumCardFaceSize): use smaller images")
        }
    }

    // MARK: - Free area

    /// `free_area:`, and its timing model under whatever `timing.commands` sets explicitly.
    private func completeFreeArea(_ profile: inout CardProfile, root: YAMLMapping) throws(Diagnostic) {
        profile.freeArea = try FreeAreaProfileReader(holder: profile.holder).read(root["free_area"])
        profile.timing.freeAreaInstructions = profile.freeArea?.instructions
        guard let model = profile.freeArea?.timing else { return }
        var explicit: Set<String> = []
        if let timing = root["timing"], case .mapping = timing.node {
            let map = try timing.mapping(allowing: timing.keyNodes.compactMap { try? $0.string() })
            explicit = Set(map["commands"]?.keyNodes.compactMap { try? $0.string() } ?? [])
        }
        for (kind, duration) in model.processing where !explicit.contains(kind.rawValue) {
            profile.timing.processing[kind] = duration
        }
    }

    // MARK: - Faulty profiles

    /// `expected_failures` and `based_on`: what a faulty card must fail, and which card it copies. Both belong to a
    /// faulty card alone, so a conforming profile that carries them is a mistake, reported where it is written.
    private func readFaultDeclaration(_ root: YAMLMapping, into profile: inout CardProfile) throws(Diagnostic) {
        for key in ["expected_failures", "based_on"] {
            guard let node = root[key], profile.chip.faults.isEmpty else { continue }
            throw node.error("'\(key)' belongs to a faulty profile: declare the card's `faults:` too, or remove it")
        }
        if let node = root["based_on"] {
            let name = try node.string()
            guard !name.isEmpty, !name.contains("/"), !name.hasSuffix(".yaml") else {
                throw node.error("'\(name)' is not a committed profile's name (e.g. default, under-15)")
            }
            // The card it copies sits beside the faulty folder (cards/NAME.yaml) or wherever --card NAME finds it.
            let folder = (file.path as NSString).deletingLastPathComponent
            let beside = ["\(folder)/\(name).yaml", "\(folder)/../\(name).yaml"]
            guard
                beside.contains(where: FileManager.default.fileExists)
                    || (try? CardProfileLocator.path(for: name)) != nil
            else {
                throw node.error(
                    "no card profile named '\(name)' to be based on (looked beside this file and in Vectors/cards)")
            }
            profile.chip.basedOn = name
        }
        guard let node = root["expected_failures"] else { return }
        var seen: [String: YAMLNode] = [:]
        for item in try node.sequence() {
            let id = try item.string()
            guard Self.isRequirementID(id) else {
                throw item.error(
                    "'\(id)' is not a requirement ID (capital letters and digits in dash-separated parts, "
                        + "as in docs/requirements/*.md: JPKI-PIN-02)")
            }
            if let first = seen[id] {
                throw item.error("\(id) is listed twice (first at line \(first.location.line))")
            }
            seen[id] = item
            profile.chip.expectedFailures.append(id)
        }
        guard !profile.chip.expectedFailures.isEmpty else {
            throw node.error("a faulty profile must fail at least one requirement; list them, e.g. [JPKI-PIN-02]")
        }
    }

    /// `JPKI-PIN-02`, `TEXT-MY-NUMBER`: two or more dash-separated parts of capital letters and digits.
    static func isRequirementID(_ id: String) -> Bool {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count >= 2
            && parts.allSatisfy { part in
                !part.isEmpty && part.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
            }
    }

    // MARK: - Holder

    private func readHolderFields(_ node: YAMLNode, into holder: inout CardHolder) throws(Diagnostic) {
        let map = try node.mapping(allowing: node.keyNodes.compactMap { try? $0.string() })
        for (key, digits) in [("security_code", 4), ("municipality_code", 5), ("card_serial", 15)] {
            guard let field = map[key] else { continue }
            let text = try field.string()
            guard text.utf8.count == digits, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw field.error("'\(text)' is not \(digits) digits (quote it, or YAML reads a number)")
            }
            switch key {
            case "security_code": holder.securityCode = text
            case "municipality_code": holder.municipalityCode = text
            default: holder.cardSerial = text
            }
        }
    }

    private func requireHolder(_ keys: [String], _ profile: CardProfile, _ apNode: YAMLNode, _ holderNode: YAMLNode)
        throws(Diagnostic)
    {
        let holder = profile.holder
        for key in keys {
            let missing =
                switch key {
                case "card_expiry": holder.cardExpiry == nil
                case "security_code": holder.securityCode == nil
                case "municipality_code": holder.municipalityCode == nil
                default: holder.cardSerial == nil
                }
            if missing {
                throw holderNode.error("missing key '\(key)': the \(apNode.path) needs it (\(Self.purpose[key]!))")
            }
        }
    }

    private static let purpose = [
        "card_expiry": "the card's expiry is part of 照合番号B and of the common AP's record",
        "security_code": "照合番号B ends with it",
        "municipality_code": "the CV certificates and records name the issuing municipality",
        "card_serial": "the common AP's record starts with it",
    ]

    private func requirePIN(_ name: String, for node: YAMLNode, profile: CardProfile, root: YAMLMapping)
        throws(Diagnostic)
    {
        let pinsNode = try root.required("pins")
        guard let pin = profile.pins[name] else {
            throw pinsNode.error("missing key '\(name)': the \(node.path) needs this credential")
        }
        guard CredentialFormat.fourDigits.accepts(Array(pin.value.utf8)) else {
            let pins = try pinsNode.mapping(allowing: pinsNode.keyNodes.compactMap { try? $0.string() })
            throw (pins[name] ?? pinsNode).error("the \(name) credential must be \(CredentialFormat.fourDigits)")
        }
    }

    // MARK: - Text AP

    private func readText(_ node: YAMLNode, profile: CardProfile) throws(Diagnostic) -> TextAPContent {
        let keys = ["key", "session_key", "data", "files", "retry_limits", "tries_left"]
        let map = try node.mapping(allowing: keys)
        let root = try file.root.mapping(allowing: file.root.keyNodes.compactMap { try? $0.string() })
        try requirePIN("text", for: node, profile: profile, root: root)
        let holderNode = try root.required("holder")
        try requireHolder(["card_expiry", "security_code", "municipality_code"], profile, node, holderNode)
        try requireEraBirthDate(profile, holderNode)

        var content = TextAPContent(
            key: try base.loadKey(map.required("key")), sessionKey: try base.loadKey(map.required("session_key")))
        if let data = map["data"] { content.written = try data.choice(["written", "unwritten"]) == "written" }
        if let files = map["files"] {
            let entries = try files.mapping(allowing: ["0001", "0002"])
            let faults = profile.chip.faults
            if let hex = entries["0001"] {
                content.myNumberFile = try TextFileCheck.myNumberFile(
                    hex, holder: profile.holder, allowBadCheckDigit: faults.contains(.myNumberCheckDigit))
            }
            if let hex = entries["0002"] {
                content.attributesFile = try TextFileCheck.attributesFile(
                    hex, allowBadOffsets: faults.contains(.textOffsetTable))
            }
        }
        content.counters = try readCounters(
            node, names: ["pin", "code_a", "code_b"], pinShorthand: ("text", profile))
        return content
    }

    private func requireEraBirthDate(_ profile: CardProfile, _ holderNode: YAMLNode) throws(Diagnostic) {
        guard JapaneseEra.yymmdd(profile.holder.birthDate) == nil else { return }
        let map = try holderNode.mapping(allowing: holderNode.keyNodes.compactMap { try? $0.string() })
        throw (map["birth_date"] ?? holderNode).error(
            "\(profile.holder.birthDate) has no two-digit Japanese-era year, which 照合番号B needs")
    }

    // MARK: - Visual AP

    private func readVisual(_ node: YAMLNode, profile: CardProfile) throws(Diagnostic) -> VisualAPContent {
        let keys = ["key", "images", "retry_limits", "tries_left"]
        let map = try node.mapping(allowing: keys)
        let root = try file.root.mapping(allowing: file.root.keyNodes.compactMap { try? $0.string() })
        let holderNode = try root.required("holder")
        try requireHolder(["card_expiry", "security_code", "municipality_code"], profile, node, holderNode)
        try requireEraBirthDate(profile, holderNode)

        let images = try map.required("images").mapping(allowing: [
            "face_photo", "name", "address", "my_number", "security_code",
        ])
        let photoFault = profile.chip.faults.contains(.cardFacePhotoFormat)
        func image(_ key: String, _ format: CardImageFormat) throws(Diagnostic) -> [UInt8] {
            let imageNode = try images.required(key)
            let bytes = try readBinaryFile(imageNode)
            if key == "face_photo" && photoFault {
                // The fault: any image but JPEG 2000, so a client that trusts the card's format is caught.
                guard format.problem(with: bytes) != nil else {
                    throw imageNode.error("the profile declares card_face_photo_format, but this photo is JPEG 2000")
                }
                return bytes
            }
            if let problem = format.problem(with: bytes) {
                throw imageNode.error("'\(try imageNode.string())' is not \(format.rawValue): \(problem)")
            }
            return bytes
        }
        var content = VisualAPContent(
            key: try base.loadKey(map.required("key")), facePhoto: try image("face_photo", .jp2Greyscale),
            nameImage: try image("name", .png1Bit), addressImage: try image("address", .png1Bit),
            myNumberImage: try image("my_number", .png1Bit), securityCodeImage: try image("security_code", .png1Bit))
        content.counters = try readCounters(
            node, names: ["birth_date", "code_a", "code_b"], pinShorthand: nil)
        return content
    }

    private func readBinaryFile(_ node: YAMLNode) throws(Diagnostic) -> [UInt8] {
        let relative = try node.string()
        let path = relative.hasPrefix("/") ? relative : (base.directory as NSString).appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw node.error("cannot read '\(relative)' (looked at \(path))")
        }
        return [UInt8](data)
    }

    // MARK: - Counters

    /// `retry_limits:` and `tries_left:` of an AP, by credential name. `pins.<pin>.tries_left` is the short form
    /// of `tries_left.pin`; giving both is an error, as two answers to one question would be.
    private func readCounters(
        _ node: YAMLNode, names: [String], pinShorthand: (String, CardProfile)?
    ) throws(Diagnostic) -> CredentialCounters {
        let map = try node.mapping(allowing: node.keyNodes.compactMap { try? $0.string() })
        var counters = CredentialCounters()
        if let limits = map["retry_limits"] {
            let entries = try limits.mapping(allowing: names)
            for name in entries.keys { counters.limits[name] = try entries.required(name).int(in: 1...15) }
        }
        if let left = map["tries_left"] {
            let entries = try left.mapping(allowing: names)
            for name in entries.keys {
                let limit = counters.limits[name] ?? CredentialCounters.assumedLimit
                let valueNode = try entries.required(name)
                counters.triesLeft[name] = try valueNode.int(in: 0...limit)
                if name == "pin", let (pin, profile) = pinShorthand, profile.pins[pin]?.triesLeft != nil {
                    throw valueNode.error("pins.\(pin) already sets tries_left; give it in one place")
                }
            }
        }
        if let (pin, profile) = pinShorthand, let left = profile.pins[pin]?.triesLeft {
            let limit = counters.limits["pin"] ?? CredentialCounters.assumedLimit
            if left > limit {
                throw node.error("pins.\(pin).tries_left is \(left), above the retry limit \(limit)")
            }
        }
        return counters
    }

    static func isNone(_ node: YAMLNode) -> Bool {
        guard case .scalar(let scalar) = node.node else { return false }
        return ["none", "null", "~", ""].contains(scalar.string.lowercased())
    }
}
