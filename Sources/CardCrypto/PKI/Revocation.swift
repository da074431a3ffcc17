import COpenSSL
import Foundation

/// Whether a certificate is revoked, as a CRL or an OCSP responder says (RFC 5280 §5, RFC 6960) — the
/// revocation check (失効確認) a kiosk makes before it trusts a card's certificate.
public enum RevocationStatus: Sendable, Hashable, CustomStringConvertible {
    case good
    /// Revoked on `date` (UTC), with the RFC 5280 reason code when one is given.
    case revoked(date: Date, reason: Int?)
    /// The responder does not know the certificate.
    case unknown

    public var description: String {
        switch self {
        case .good: "good"
        case .revoked(let date, let reason):
            "revoked on \(ISO8601DateFormatter().string(from: date))" + (reason.map { " (reason \($0))" } ?? "")
        case .unknown: "unknown"
        }
    }

    public var isRevoked: Bool { if case .revoked = self { true } else { false } }
}

/// A certificate revocation list, read with OpenSSL.
public struct RevocationList: Sendable {
    public let derEncoded: [UInt8]
    public let thisUpdate: Date
    public let nextUpdate: Date?

    /// - Throws: ``CryptoError/Code/invalidCertificate`` when the bytes are not a DER or PEM X.509 CRL.
    public init(encoded bytes: [UInt8]) throws(CryptoError) {
        let der: [UInt8]
        if bytes.starts(with: Array("-----BEGIN X509 CRL-----".utf8)) {
            der = try Self.withCRL(pem: bytes) { crl throws(CryptoError) in try Self.der(of: crl) }
        } else {
            der = bytes
        }
        self.derEncoded = der
        (thisUpdate, nextUpdate) = try Self.withCRL(der: der) { crl throws(CryptoError) in
            guard let last = X509_CRL_get0_lastUpdate(crl), let date = OCSPClient.date(of: last) else {
                throw CryptoError(code: .invalidCertificate, reason: "the CRL has no readable thisUpdate")
            }
            return (date, X509_CRL_get0_nextUpdate(crl).flatMap { OCSPClient.date(of: $0) })
        }
    }

    /// The CRL's signature verifies with the issuer's key, and its issuer is the certificate's subject.
    public func isIssued(by issuerCertificate: [UInt8]) -> Bool {
        (try? Self.withCRL(der: derEncoded) { crl throws(CryptoError) in
            try OCSPClient.withCertificate(issuerCertificate) { issuer throws(CryptoError) in
                guard let key = X509_get0_pubkey(issuer),
                    X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) == 0
                else { return false }
                let verified = X509_CRL_verify(crl, key) == 1
                _ = OpenSSL.drainErrors()
                return verified
            }
        }) ?? false
    }

    /// What the list says about the certificate with this serial number (big-endian magnitude).
    public func status(ofSerial serial: [UInt8]) -> RevocationStatus {
        (try? Self.withCRL(der: derEncoded) { crl throws(CryptoError) -> RevocationStatus in
            guard let bignum = BN_bin2bn(serial, Int32(serial.count), nil) else { return .good }
            defer { BN_free(bignum) }
            guard let integer = BN_to_ASN1_INTEGER(bignum, nil) else { return .good }
            defer { ASN1_INTEGER_free(integer) }
            var entry: OpaquePointer?
            guard X509_CRL_get0_by_serial(crl, &entry, integer) == 1, let entry,
                let date = OCSPClient.date(of: X509_REVOKED_get0_revocationDate(entry))
            else { return .good }
            var critical: Int32 = 0
            var reason: Int?
            if let code = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, nil) {
                let enumerated = code.assumingMemoryBound(to: ASN1_ENUMERATED.self)
                reason = Int(ASN1_ENUMERATED_get(enumerated))
                ASN1_ENUMERATED_free(enumerated)
            }
            return .revoked(date: date, reason: reason)
        }) ?? .unknown
    }

    private static func withCRL<T>(der: [UInt8], _ body: (OpaquePointer) throws(CryptoError) -> T) throws(CryptoError)
        -> T
    {
        let crl: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_X509_CRL(nil, &cursor, buffer.count)
        }
        guard let crl else { throw OpenSSL.error(.invalidCertificate, "the bytes are not a DER X.509 CRL") }
        defer { X509_CRL_free(crl) }
        return try body(crl)
    }

    private static func withCRL<T>(pem: [UInt8], _ body: (OpaquePointer) throws(CryptoError) -> T) throws(CryptoError)
        -> T
    {
        let crl: OpaquePointer? = pem.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509_CRL(bio, nil, nil, nil)
        }
        guard let crl else { throw OpenSSL.error(.invalidCertificate, "the text is not a PEM X.509 CRL") }
        defer { X509_CRL_free(crl) }
        return try body(crl)
    }

    private static func der(of crl: OpaquePointer) throws(CryptoError) -> [UInt8] {
        let length = i2d_X509_CRL(crl, nil)
        guard length > 0 else { throw OpenSSL.error(.invalidCertificate, "cannot encode the CRL") }
        var der = [UInt8](repeating: 0, count: Int(length))
        _ = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_X509_CRL(crl, &cursor)
        }
        return der
    }
}

/// The two halves of an OCSP exchange (RFC 6960) that need no network: the request to send, and the checks on
/// the answer. Carrying the bytes to a responder is the caller's job.
public struct OCSPClient: Sendable {
    public let certificate: [UInt8]
    public let issuer: [UInt8]

    public init(certificate: [UInt8], issuer: [UInt8]) {
        self.certificate = certificate
        self.issuer = issuer
    }

    /// A DER OCSPRequest for the certificate, CertID with SHA-1 (what RFC 6960 responders, openssl ocsp among them,
    /// must understand), and a nonce the answer must echo.
    public func request() throws(CryptoError) -> (der: [UInt8], nonce: Request) {
        try Self.withCertificate(certificate) { subject throws(CryptoError) in
            try Self.withCertificate(issuer) { issuer throws(CryptoError) in
                guard let request = OCSP_REQUEST_new() else { throw OpenSSL.error(.openSSLFailure, "OCSP_REQUEST_new") }
                guard let id = OCSP_cert_to_id(EVP_sha1(), subject, issuer),
                    OCSP_request_add0_id(request, id) != nil, OCSP_request_add1_nonce(request, nil, -1) == 1
                else {
                    OCSP_REQUEST_free(request)
                    throw OpenSSL.error(.openSSLFailure, "cannot build the OCSP request")
                }
                let length = i2d_OCSP_REQUEST(request, nil)
                var der = [UInt8](repeating: 0, count: Int(max(length, 0)))
                _ = der.withUnsafeMutableBufferPointer { buffer in
                    var cursor = buffer.baseAddress
                    return i2d_OCSP_REQUEST(request, &cursor)
                }
                return (der, Request(pointer: request))
            }
        }
    }

    /// The request kept until its answer is checked (for the nonce). Frees itself.
    public final class Request: @unchecked Sendable {
        let pointer: OpaquePointer
        init(pointer: OpaquePointer) { self.pointer = pointer }
        deinit { OCSP_REQUEST_free(pointer) }
    }

    /// Checks an OCSPResponse and returns the status it gives the certificate: the response is successful, signed
    /// by the issuing CA or a responder it authorised (verified against `issuer` as the only trust anchor), echoes
    /// the nonce, answers for this certificate, and is current now (5 minutes' leeway).
    public func status(of response: [UInt8], for request: Request) throws(CryptoError)
        -> RevocationStatus
    {
        let parsed: OpaquePointer? = response.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_OCSP_RESPONSE(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw OpenSSL.error(.invalidSignature, "the answer is not a DER OCSPResponse") }
        defer { OCSP_RESPONSE_free(parsed) }
        let code = OCSP_response_status(parsed)
        guard code == OCSP_RESPONSE_STATUS_SUCCESSFUL else {
            throw CryptoError(
                code: .invalidSignature,
                reason: "the responder answered \(String(cString: OCSP_response_status_str(Int(code)))) (\(code))")
        }
        guard let basic = OCSP_response_get1_basic(parsed) else {
            throw OpenSSL.error(.invalidSignature, "the OCSP answer has no basic response")
        }
        defer { OCSP_BASICRESP_free(basic) }
        return try Self.withCertificate(certificate) { subject throws(CryptoError) in
            try Self.withCertificate(issuer) { issuer throws(CryptoError) in
                guard let store = X509_STORE_new() else { throw OpenSSL.error(.openSSLFailure, "X509_STORE_new") }
                defer { X509_STORE_free(store) }
                X509_STORE_add_cert(store, issuer)
                guard let certs = OPENSSL_sk_new_null() else { throw OpenSSL.error(.openSSLFailure, "sk_new") }
                defer { OPENSSL_sk_free(certs) }
                OPENSSL_sk_push(certs, UnsafeRawPointer(issuer))
                guard OCSP_basic_verify(basic, certs, store, 0) == 1 else {
                    throw OpenSSL.error(.invalidSignature, "the OCSP answer's signature does not verify")
                }
                guard OCSP_check_nonce(request.pointer, basic) == 1 else {
                    throw OpenSSL.error(.invalidSignature, "the OCSP answer does not echo the request's nonce")
                }
                guard let id = OCSP_cert_to_id(EVP_sha1(), subject, issuer) else {
                    throw OpenSSL.error(.openSSLFailure, "OCSP_cert_to_id")
                }
                defer { OCSP_CERTID_free(id) }
                var status: Int32 = -1
                var reason: Int32 = -1
                var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
                var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
                var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
                guard OCSP_resp_find_status(basic, id, &status, &reason, &revoked, &thisUpdate, &nextUpdate) == 1
                else {
                    throw OpenSSL.error(.invalidSignature, "the OCSP answer says nothing about this certificate")
                }
                guard let thisUpdate, OCSP_check_validity(thisUpdate, nextUpdate, 300, -1) == 1 else {
                    throw OpenSSL.error(.invalidValidity, "the OCSP answer is not current")
                }
                switch status {
                case V_OCSP_CERTSTATUS_GOOD: return .good
                case V_OCSP_CERTSTATUS_REVOKED:
                    return .revoked(
                        date: revoked.flatMap { Self.date(of: $0) } ?? Date(timeIntervalSince1970: 0),
                        reason: reason >= 0 ? Int(reason) : nil)
                default: return .unknown
                }
            }
        }
    }

    static func withCertificate<T>(_ der: [UInt8], _ body: (OpaquePointer) throws(CryptoError) -> T)
        throws(CryptoError) -> T
    {
        let certificate: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let certificate else { throw OpenSSL.error(.invalidCertificate, "the bytes are not a DER certificate") }
        defer { X509_free(certificate) }
        return try body(certificate)
    }

    /// An ASN1_TIME as a Date (UTC).
    static func date(of time: UnsafePointer<ASN1_TIME>) -> Date? {
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
