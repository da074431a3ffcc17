import COpenSSL

/// Small helpers over OpenSSL's C API, so every call site frees what it allocates and reports OpenSSL's own words.
enum OpenSSL {
    /// Empties this thread's OpenSSL error queue into one line.
    ///
    /// The queue is per thread and is not cleared by successful calls, so it is drained on every failure path: a
    /// stale entry would otherwise be blamed on the next, unrelated failure.
    static func drainErrors() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self))
        }
        return messages.isEmpty ? "no detail from OpenSSL" : messages.joined(separator: "; ")
    }

    /// A ``CryptoError`` whose reason ends with what OpenSSL reported.
    static func error(
        _ code: CryptoError.Code,
        _ what: String,
        file: String = #fileID,
        line: UInt = #line
    ) -> CryptoError {
        CryptoError(code: code, reason: "\(what) (OpenSSL: \(drainErrors()))", file: file, line: line)
    }

    /// Runs `body` with a fresh writable memory BIO and frees it afterwards.
    static func withMemoryBIO<T>(_ body: (OpaquePointer) throws(CryptoError) -> T) throws(CryptoError) -> T {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw error(.openSSLFailure, "cannot allocate a memory BIO")
        }
        defer { BIO_free(bio) }
        return try body(bio)
    }

    /// Everything written so far into a memory BIO. `BIO_get_mem_data` is a macro, hence `BIO_ctrl`.
    static func contents(of bio: OpaquePointer) -> [UInt8] {
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = withUnsafeMutablePointer(to: &data) { BIO_ctrl(bio, BIO_CTRL_INFO, 0, $0) }
        guard length > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// A BIGNUM as big-endian unsigned bytes without leading zeros (zero gives `[]`).
    /// `BN_num_bytes` is a macro, so the size comes from `BN_num_bits`.
    static func bytes(of bignum: OpaquePointer) -> [UInt8] {
        let count = (Int(BN_num_bits(bignum)) + 7) / 8
        var bytes = [UInt8](repeating: 0, count: count)
        if count > 0 {
            _ = BN_bn2bin(bignum, &bytes)
        }
        return bytes
    }

    /// Reads one BIGNUM parameter of a key (OSSL_PKEY_PARAM_*) as big-endian bytes; nil if the key has none.
    /// The BIGNUM is cleared before it is freed because some of these are private values.
    static func bignumParameter(_ name: String, of pkey: OpaquePointer) -> [UInt8]? {
        var bignum: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pkey, name, &bignum) == 1, let bignum else {
            _ = drainErrors()
            return nil
        }
        defer { BN_clear_free(bignum) }
        return bytes(of: bignum)
    }

    /// SubjectPublicKeyInfo DER of a key (`i2d_PUBKEY`).
    static func subjectPublicKeyInfo(of pkey: OpaquePointer) throws(CryptoError) -> [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        guard length > 0 else {
            throw error(.openSSLFailure, "cannot encode the public key as SubjectPublicKeyInfo")
        }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(pkey, &cursor)
        }
        guard written == length else {
            throw error(.openSSLFailure, "SubjectPublicKeyInfo encoding changed length between calls")
        }
        return der
    }

    /// An EVP_PKEY from SubjectPublicKeyInfo DER; the caller frees it. Trailing bytes are refused, so the DER that
    /// is stored is exactly the DER that was checked.
    static func publicKey(fromSubjectPublicKeyInfo der: [UInt8]) throws(CryptoError) -> OpaquePointer {
        let result: (OpaquePointer?, Int) = der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return (nil, 0) }
            var cursor: UnsafePointer<UInt8>? = base
            let pkey = d2i_PUBKEY(nil, &cursor, buffer.count)
            return (pkey, cursor.map { $0 - base } ?? 0)
        }
        guard let pkey = result.0 else {
            throw error(.invalidKey, "the bytes are not a DER SubjectPublicKeyInfo")
        }
        guard result.1 == der.count else {
            EVP_PKEY_free(pkey)
            throw CryptoError(
                code: .invalidKey,
                reason: "SubjectPublicKeyInfo is followed by \(der.count - result.1) stray bytes"
            )
        }
        return pkey
    }

    /// A new EVP_PKEY_CTX for one operation; keys are shared, contexts never are.
    static func withContext<T>(
        for pkey: OpaquePointer,
        _ body: (OpaquePointer) throws(CryptoError) -> T
    ) throws(CryptoError) -> T {
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else {
            throw error(.openSSLFailure, "cannot allocate an EVP_PKEY_CTX")
        }
        defer { EVP_PKEY_CTX_free(context) }
        return try body(context)
    }

    /// The key's algorithm name as OpenSSL spells it ("RSA", "EC", "ED25519", "RSA-PSS", ...).
    static func typeName(of pkey: OpaquePointer) -> String {
        guard let name = EVP_PKEY_get0_type_name(pkey) else { return "unknown" }
        return String(cString: name)
    }
}
