// CardCrypto: the cryptography a My Number card and its host need, over OpenSSL 3 (RSA PKCS#1 v1.5 on raw
// DigestInfos, SHA-1/SHA-2, AES and 3DES, secure messaging, an injectable random source), and the JPKI-like test PKI
// over swift-certificates.
//
// Layout: Errors/ (CryptoError), OpenSSL/ (C-API helpers), Digest/ (SHA-1/SHA-2, DigestInfo), RSA/ (keys, raw
// PKCS#1 v1.5 signing and recovery), Random/ (RandomSource), Dates/ (CalendarDate), PKI/ (test CAs, certificate
// profiles, CertificateSummary), Cipher/ (AES, 3DES, CMAC, retail MAC, ISO 7816-4 padding), SecureMessaging/ (the
// 3DES and AES-128 suites, host and card sessions, mutual authentication). Private keys live only in OpenSSL;
// swift-crypto is linked for swift-certificates and serves the tests as an independent second implementation.
