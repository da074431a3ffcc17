/// The one error type of `CardCrypto`.
///
/// Modelled on swift-certificates' `CertificateError`: callers and tests match on ``code``, which is a struct over a
/// private enum so new codes can be added without breaking anyone's `switch`. The ``reason`` is written for a person
/// and says what to do; the source location is kept for the ``description`` only. Equality and hashing use the code
/// alone, so `#expect(throws: CryptoError(code: .inputTooLong))` matches whatever the reason says.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a value to compare against.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case invalidPEM
            case encryptedKey
            case unsupportedKeyType
            case invalidKey
            case invalidKeySize
            case emptyInput
            case inputTooLong
            case invalidSignature
            case invalidCertificate
            case invalidSerialNumber
            case invalidValidity
            case certificateIssuanceFailed
            case openSSLFailure
            case invalidKeyLength
            case invalidDataLength
            case invalidPadding
            case malformedProtectedAPDU
            case notProtected
            case missingDataObject
            case unexpectedDataObject
            case dataObjectsOutOfOrder
            case malformedDataObject
            case macMismatch
            case counterOutOfStep
            case statusWordMismatch
            case authenticationFailed
            case sessionOutOfTurn
        }

        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// The text is not a PEM document of a private key that can be read.
        public static let invalidPEM = Code(.invalidPEM)
        /// The key is password-protected; test keys are stored in the clear.
        public static let encryptedKey = Code(.encryptedKey)
        /// The key is not an RSA key (an EC or Ed25519 key, RSA-PSS, ...).
        public static let unsupportedKeyType = Code(.unsupportedKeyType)
        /// The key's DER is malformed, or its numbers cannot form an RSA key.
        public static let invalidKey = Code(.invalidKey)
        /// Key generation was asked for a size outside what is supported.
        public static let invalidKeySize = Code(.invalidKeySize)
        /// There was nothing to sign.
        public static let emptyInput = Code(.emptyInput)
        /// The data does not fit in one PKCS#1 v1.5 block (more than k − 11 bytes).
        public static let inputTooLong = Code(.inputTooLong)
        /// The signature does not open with this public key into a PKCS#1 v1.5 type-1 block.
        public static let invalidSignature = Code(.invalidSignature)
        /// The bytes are not an X.509 certificate this library can read.
        public static let invalidCertificate = Code(.invalidCertificate)
        /// A certificate serial number must be 1–20 bytes and not zero.
        public static let invalidSerialNumber = Code(.invalidSerialNumber)
        /// A validity period ends before it starts, or cannot be encoded.
        public static let invalidValidity = Code(.invalidValidity)
        /// swift-certificates refused to build or encode the certificate.
        public static let certificateIssuanceFailed = Code(.certificateIssuanceFailed)
        /// OpenSSL failed where it should not have (allocation, an internal error); the reason carries its queue.
        public static let openSSLFailure = Code(.openSSLFailure)

        // Symmetric ciphers and secure messaging (Cipher/, SecureMessaging/).

        /// A symmetric key of a length the algorithm does not have (AES 16/24/32 bytes, triple DES 16/24).
        public static let invalidKeyLength = Code(.invalidKeyLength)
        /// Data that is not a whole number of cipher blocks, or an IV, challenge or counter of the wrong size.
        public static let invalidDataLength = Code(.invalidDataLength)
        /// Decrypted data does not end in ISO/IEC 7816-4 padding (80 00 … within the last block).
        public static let invalidPadding = Code(.invalidPadding)
        /// The bytes are not a command or response APDU, or its data is not a sequence of BER-TLV data objects.
        public static let malformedProtectedAPDU = Code(.malformedProtectedAPDU)
        /// Secure messaging was expected and the APDU is plain: CLA without the SM bits, or a response with no DOs.
        public static let notProtected = Code(.notProtected)
        /// A data object the protocol requires is absent (8E in any protected APDU, 99 in a protected response).
        public static let missingDataObject = Code(.missingDataObject)
        /// A data object that has no place here (a tag other than 85/87/97/8E in a command, 85/87/99/8E in a response).
        public static let unexpectedDataObject = Code(.unexpectedDataObject)
        /// The data objects are not in ISO/IEC 7816-4 order (87, 97, 8E in commands; 87, 99, 8E in responses), or one
        /// appears twice.
        public static let dataObjectsOutOfOrder = Code(.dataObjectsOutOfOrder)
        /// A data object of the wrong length or content (an 8E that is not 8 bytes, a padding indicator other than 01).
        public static let malformedDataObject = Code(.malformedDataObject)
        /// The cryptographic checksum (DO 8E, or a mutual-authentication MAC) is not the one the keys give.
        public static let macMismatch = Code(.macMismatch)
        /// The checksum is right for a neighbouring send-sequence counter: one side lost or repeated an exchange.
        public static let counterOutOfStep = Code(.counterOutOfStep)
        /// The status word in DO 99 differs from the plain SW1-SW2 after it.
        public static let statusWordMismatch = Code(.statusWordMismatch)
        /// Mutual authentication failed: a challenge came back different from the one that was sent.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// A secure-messaging session was used out of turn: a response with no command outstanding, two commands
        /// without a response between them, or any use after an error ended the session.
        public static let sessionOutOfTurn = Code(.sessionOutOfTurn)

        public var description: String {
            self.backing.rawValue
        }
    }

    /// What went wrong; the only part that takes part in equality.
    public let code: Code
    /// What happened and what to do about it, for a person.
    public let reason: String
    private let file: String
    private let line: UInt

    /// - Parameters:
    ///   - code: What went wrong.
    ///   - reason: A sentence a person can act on. Empty is fine when the value is only used to compare codes.
    public init(code: Code, reason: String = "", file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String {
        "CryptoError.\(self.code): \(self.reason) \(self.file):\(self.line)"
    }

    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }
}
