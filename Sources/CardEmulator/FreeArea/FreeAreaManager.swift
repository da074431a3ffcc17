import APDU
import CardCrypto

/// The free-area manager: GET CHALLENGE and MUTUAL AUTHENTICATE with a region's key in plain, then the management
/// commands in secure messaging under that session (docs/card-ap-profile.md, "The manager's commands").
extension FreeAreaCard {
    mutating func respondAsManager(_ bytes: [UInt8], random: inout any RandomSource) -> [UInt8] {
        guard let command = try? CommandAPDU(bytes: bytes) else {
            // A protected command whose lengths do not add up ends the session like any other SM error.
            if let first = bytes.first, first & 0x0C == 0x0C { manager.session = nil }
            return Self.status(.wrongLength)
        }
        switch command.cla {
        case 0x00:
            switch command.ins {
            case 0x84:
                switch Self.challenge(command, random: &random) {
                case .success(let challenge):
                    manager.challenge = challenge
                    return challenge + StatusWord.success.bytes
                case .failure(let refusal): return Self.status(refusal.statusWord)
                }
            case 0x82: return authenticateInstaller(command, random: &random)
            case 0xA4: return Self.status(.fileNotFound)
            default: return Self.status(.instructionNotSupported)
            }
        case 0x80:
            // A management command in plain: refused, whatever it is.
            return Self.status(.securityStatusNotSatisfied)
        case 0x8C:
            let opened: CommandAPDU
            switch Self.open(bytes, session: &manager.session) {
            case .success(let command): opened = command
            case .failure(let refusal):
                manager.download = nil
                return Self.status(refusal.statusWord)
            }
            let response = manage(opened, random: &random)
            return Self.seal(response, session: &manager.session)
        default:
            return Self.status(.classNotSupported)
        }
    }

    private mutating func authenticateInstaller(_ command: CommandAPDU, random: inout any RandomSource) -> [UInt8] {
        guard command.p1 == 0, let region = FreeAreaRegion(keyReference: command.p2) else {
            return Self.status(.incorrectP1P2)
        }
        guard command.data.count == MutualAuthentication.messageLength,
            command.le == nil || command.le == MutualAuthentication.messageLength
        else { return Self.status(.wrongLength) }
        guard let challenge = manager.challenge else { return Self.status(.conditionsOfUseNotSatisfied) }
        // Every attempt uses up the challenge and ends the session before it.
        manager = ManagerState()
        guard let seed = setting.regions[region]?.keySeed else { return Self.status(.referencedDataNotFound) }
        let keys = setting.suite.deriveKeys(from: seed)
        do {
            let authentication = try CardMutualAuthentication(keys: keys, challenge: challenge)
            let result = try authentication.respond(
                to: command.data, cardKeyMaterial: random.bytes(MutualAuthentication.keyMaterialLength))
            manager.session = result.session
            manager.region = region
            return result.responseData + StatusWord.success.bytes
        } catch {
            return Self.status(.authenticationFailed)
        }
    }

    /// One opened management command; its answer is then protected.
    private mutating func manage(_ command: CommandAPDU, random: inout any RandomSource) -> ResponseAPDU {
        guard command.cla == 0x80 else { return ResponseAPDU(statusWord: .classNotSupported) }
        guard let region = manager.region else { return ResponseAPDU(statusWord: .securityStatusNotSatisfied) }
        guard let kind = setting.instructions.command(for: command.ins) else {
            return ResponseAPDU(statusWord: .instructionNotSupported)
        }
        if kind != .load, command.p1 != 0 || command.p2 != 0 { return ResponseAPDU(statusWord: .incorrectP1P2) }
        switch kind {
        case .createRegion:
            guard command.data.isEmpty else { return ResponseAPDU(statusWord: .wrongLength) }
            guard regions[region] == nil else { return ResponseAPDU(statusWord: .alreadyExists) }
            regions[region] = FreeAreaRegionState(capacity: setting.regions[region]?.capacity ?? 0)
            return ResponseAPDU(statusWord: .success)
        case .load:
            return load(command, region: region)
        case .writeUserID:
            let taken = Set(applications.compactMap(\.application.userID))
            let faulty = faults.contains(.userIDIsMyNumber) ? Array((holder.myNumber + "0").utf8) : nil
            return withApplication(command, region: region) { ap in
                guard ap.userID == nil else { return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied) }
                let id = faulty ?? Self.newUserID(avoiding: taken, random: &random)
                ap.write(userID: id)
                return ResponseAPDU(data: UserID.dataObject(id), statusWord: .success)
            }
        case .activate:
            return withApplication(command, region: region) { ap in
                guard ap.userID != nil else { return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied) }
                ap.isActive = true
                return ResponseAPDU(statusWord: .success)
            }
        case .delete:
            guard let aid = Self.aid(in: command.data) else { return ResponseAPDU(statusWord: .wrongData) }
            guard let index = regions[region]?.index(of: aid) else {
                return ResponseAPDU(statusWord: .referencedDataNotFound)
            }
            regions[region]!.applications.remove(at: index)
            return ResponseAPDU(statusWord: .success)
        case .moveOut:
            guard command.data.isEmpty else { return ResponseAPDU(statusWord: .wrongLength) }
            guard region == .local else { return ResponseAPDU(statusWord: .securityStatusNotSatisfied) }
            if faults.contains(.moveOutKeepsLocal) { return ResponseAPDU(statusWord: .success) }
            regions[.local] = nil
            manager.download = nil
            return ResponseAPDU(statusWord: .success)
        case .freeSpace:
            guard command.data.isEmpty else { return ResponseAPDU(statusWord: .wrongLength) }
            guard let state = regions[region] else { return ResponseAPDU(statusWord: .referencedDataNotFound) }
            func two(_ value: Int) -> [UInt8] {
                [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
            }
            let value =
                BERTLV(tag: BERTag(0x80), value: two(state.capacity)).encoded
                + BERTLV(tag: BERTag(0x81), value: two(state.used)).encoded
                + BERTLV(tag: BERTag(0x82), value: [UInt8(min(state.applications.count, 255))]).encoded
            return ResponseAPDU(data: BERTLV(tag: BERTag(0xA1), value: value).encoded, statusWord: .success)
        }
    }

    /// `4F L AID` and nothing else, or nil.
    static func aid(in data: [UInt8]) -> [UInt8]? {
        guard let objects = try? BERTLV.parseAll(data), objects.count == 1, objects[0].tag == BERTag(0x4F),
            !objects[0].value.isEmpty
        else { return nil }
        return objects[0].value
    }

    private mutating func withApplication(
        _ command: CommandAPDU, region: FreeAreaRegion,
        _ body: (inout InstalledCardAP) -> ResponseAPDU
    ) -> ResponseAPDU {
        guard let aid = Self.aid(in: command.data) else { return ResponseAPDU(statusWord: .wrongData) }
        guard let index = regions[region]?.index(of: aid) else {
            return ResponseAPDU(statusWord: .referencedDataNotFound)
        }
        var ap = regions[region]!.applications[index]
        let response = body(&ap)
        regions[region]!.applications[index] = ap
        return response
    }

    /// A user ID no AP on this card has (the `user_id_is_my_number` fault writes the My Number and `0` instead).
    static func newUserID(avoiding taken: Set<[UInt8]>, random: inout any RandomSource) -> [UInt8] {
        while true {
            let id = UserID.generate(random: &random)
            if !taken.contains(id) { return id }
        }
    }

    private mutating func load(_ command: CommandAPDU, region: FreeAreaRegion) -> ResponseAPDU {
        guard regions[region] != nil else { return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied) }
        guard command.p1 == 0x00 || command.p1 == 0x80 else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        guard !command.data.isEmpty, command.data.count <= Self.maximumBlock else {
            return ResponseAPDU(statusWord: .wrongLength)
        }
        if command.p2 == 0 {
            manager.download = Download(region: region)
        }
        guard var download = manager.download, download.region == region, download.nextBlock == Int(command.p2)
        else { return ResponseAPDU(statusWord: .incorrectP1P2) }
        download.bytes += command.data
        download.nextBlock += 1
        guard download.bytes.count <= Self.maximumDownload, download.nextBlock <= 0xFF || command.p1 == 0x80 else {
            manager.download = nil
            return ResponseAPDU(statusWord: .notEnoughMemory)
        }
        guard command.p1 == 0x80 else {
            manager.download = download
            return ResponseAPDU(statusWord: .success)
        }
        manager.download = nil
        return install(download.bytes, region: region)
    }

    /// The last block arrived: the package is checked and, if every rule holds, takes its space in the region.
    private mutating func install(_ bytes: [UInt8], region: FreeAreaRegion) -> ResponseAPDU {
        let package: CardAPPackage
        do {
            package = try CardAPPackage(decoding: bytes)
        } catch {
            return ResponseAPDU(statusWord: .wrongData)
        }
        if region == .local {
            guard let code = package.municipalityCode, let home = holder.municipalityCode, code == home else {
                return ResponseAPDU(statusWord: .securityStatusNotSatisfied)
            }
        }
        guard application(aid: package.aid) == nil, !reservedAIDs.contains(package.aid),
            package.aid != setting.managerAID
        else { return ResponseAPDU(statusWord: .alreadyExists) }
        guard let state = regions[region], state.free >= package.size else {
            return ResponseAPDU(statusWord: .notEnoughMemory)
        }
        regions[region]!.applications.append(InstalledCardAP(package: package))
        return ResponseAPDU(statusWord: .success)
    }
}
