extension StatusWord {
    /// The ISO/IEC 7816-4 (Tables 5 and 6) meaning, lower case except for names such as P1-P2, Le, EF:
    /// 6984 → "referenced data not usable", 63C2 → "verification failed, 2 tries left". An SW2 that ISO leaves
    /// undefined under an interindustry SW1 gets that SW1's general meaning; anything else (proprietary 67xx,
    /// 6Bxx, 6Dxx–6Fxx other than xx00, 9xxx other than 9000, invalid 60xx) is "unknown status word".
    public var meaning: String {
        let sw2 = Int(self.sw2)
        switch sw1 {
        case 0x90 where sw2 == 0x00: return "normal processing, no further qualification"
        case 0x61:
            // SW2 00 can only say "at least 256": GET RESPONSE with Le 00 fetches the next 256.
            let more = sw2 == 0 ? "256 or more bytes" : sw2 == 1 ? "1 more byte" : "\(sw2) more bytes"
            return "\(more) available (GET RESPONSE)"
        case 0x6C: return "wrong Le: exact length is \(sw2 == 0 ? 256 : sw2)"
        case 0x62: return Self.warningUnchanged(sw2)
        case 0x63: return Self.warningChanged(sw2)
        case 0x64: return Self.executionErrorUnchanged(sw2)
        case 0x65:
            switch sw2 {
            case 0x00: return "execution error, state of non-volatile memory changed, no information given"
            case 0x81: return "memory failure"
            default: return "execution error, state of non-volatile memory changed"
            }
        case 0x66: return "security-related issue"
        case 0x67 where sw2 == 0x00: return "wrong length, no further indication"
        case 0x68: return Self.claFunctionsNotSupported(sw2)
        case 0x69: return Self.commandNotAllowed(sw2)
        case 0x6A: return Self.wrongParameters(sw2)
        case 0x6B where sw2 == 0x00: return "wrong parameters P1-P2"
        case 0x6D where sw2 == 0x00: return "instruction code not supported or invalid"
        case 0x6E where sw2 == 0x00: return "class not supported"
        case 0x6F where sw2 == 0x00: return "no precise diagnosis"
        default: return "unknown status word"
        }
    }

    private static func warningUnchanged(_ sw2: Int) -> String {
        switch sw2 {
        case 0x00: "warning, state of non-volatile memory unchanged, no information given"
        case 0x02...0x80: "warning: triggering by the card"
        case 0x81: "part of returned data may be corrupted"
        case 0x82: "end of file or record reached before reading Ne bytes, or unsuccessful search"
        case 0x83: "selected file deactivated"
        case 0x84: "file or application control information not correctly formatted"
        case 0x85: "selected file in termination state"
        case 0x86: "no input data available from a sensor on the card"
        case 0x87: "at least one of the referenced records is deactivated"
        default: "warning, state of non-volatile memory unchanged"
        }
    }

    private static func warningChanged(_ sw2: Int) -> String {
        switch sw2 {
        case 0x00: "warning, state of non-volatile memory changed, no information given"
        case 0x81: "file filled up by the last write"
        case 0xC0...0xCF:
            // ISO: "counter from 0 to 15 encoded by X, exact meaning depending on the command"; on this card and
            // in practice it answers VERIFY.
            "verification failed, \(sw2 & 0x0F == 1 ? "1 try" : "\(sw2 & 0x0F) tries") left"
        default: "warning, state of non-volatile memory changed"
        }
    }

    private static func executionErrorUnchanged(_ sw2: Int) -> String {
        switch sw2 {
        case 0x00: "execution error, state of non-volatile memory unchanged"
        case 0x01: "immediate response required by the card"
        case 0x02...0x80: "execution error: triggering by the card"
        case 0x81: "logical channel shared access denied"
        case 0x82: "logical channel opening denied"
        default: "execution error, state of non-volatile memory unchanged"
        }
    }

    private static func claFunctionsNotSupported(_ sw2: Int) -> String {
        switch sw2 {
        case 0x00: "functions in CLA not supported, no information given"
        case 0x81: "logical channel not supported"
        case 0x82: "secure messaging not supported"
        case 0x83: "last command of the chain expected"
        case 0x84: "command chaining not supported"
        default: "functions in CLA not supported"
        }
    }

    private static func commandNotAllowed(_ sw2: Int) -> String {
        switch sw2 {
        case 0x00: "command not allowed, no information given"
        case 0x81: "command incompatible with file structure"
        case 0x82: "security status not satisfied"
        case 0x83: "authentication method blocked"
        case 0x84: "referenced data not usable"
        case 0x85: "conditions of use not satisfied"
        case 0x86: "command not allowed (no current EF)"
        case 0x87: "expected secure messaging data objects missing"
        case 0x88: "incorrect secure messaging data objects"
        default: "command not allowed"
        }
    }

    private static func wrongParameters(_ sw2: Int) -> String {
        switch sw2 {
        case 0x00: "wrong parameters P1-P2, no information given"
        case 0x80: "incorrect parameters in the command data field"
        case 0x81: "function not supported"
        case 0x82: "file or application not found"
        case 0x83: "record not found"
        case 0x84: "not enough memory space in the file"
        case 0x85: "Nc inconsistent with TLV structure"
        case 0x86: "incorrect parameters P1-P2"
        case 0x87: "Nc inconsistent with parameters P1-P2"
        case 0x88: "referenced data or reference data not found"
        case 0x89: "file already exists"
        case 0x8A: "DF name already exists"
        default: "wrong parameters P1-P2"
        }
    }
}
