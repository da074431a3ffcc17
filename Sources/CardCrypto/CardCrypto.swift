// CardCrypto: the cryptography a My Number card and its host need, over OpenSSL 3 (RSA PKCS#1 v1.5 on raw
// DigestInfos, SHA-1/SHA-256, an injectable random source), and the JPKI-like test PKI over swift-certificates.
