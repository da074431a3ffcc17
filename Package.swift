// swift-tools-version: 6.1
// mynaconf: a conformance test harness for the Japanese My Number card.
// The targets and their boundaries follow docs/architecture.md; lower layers know nothing of higher ones.
import PackageDescription

let package = Package(
    name: "mynaconf",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mynaconf", targets: ["mynaconf"]),
        .library(name: "APDU", targets: ["APDU"]),
        .library(name: "CardCrypto", targets: ["CardCrypto"]),
        .library(name: "CardEmulator", targets: ["CardEmulator"]),
        .library(name: "Transport", targets: ["Transport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // System libraries: all three are linked in the default build.
        .systemLibrary(name: "CPCSCLite", pkgConfig: "libpcsclite", providers: [.apt(["libpcsclite-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),

        .target(name: "APDU"),
        .target(name: "YAMLSource", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(
            name: "CardCrypto",
            dependencies: [
                "APDU", "COpenSSL",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CardEmulator",
            dependencies: ["APDU", "CardCrypto", "YAMLSource"]
        ),
        .target(name: "Transport", dependencies: ["APDU", "CardEmulator", "CPCSCLite", "CLibUSB"]),
        .target(name: "CryptoVectors", dependencies: ["APDU", "CardCrypto", "CardEmulator", "Transport", "YAMLSource"]),
        .target(name: "Scenario", dependencies: ["APDU", "YAMLSource"]),
        .target(name: "Runner", dependencies: ["Scenario", "Transport", "CardCrypto"]),
        .target(name: "Reports", dependencies: ["Runner"]),
        // Bakes the git commit into the binary for the reports' evidence (Plugins/BuildInfoPlugin).
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        .executableTarget(
            name: "mynaconf",
            dependencies: [
                "APDU", "CardCrypto", "CardEmulator", "Transport", "Scenario", "Runner", "Reports", "CryptoVectors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["BuildInfoPlugin"]
        ),

        .executableTarget(name: "MynaconfBenchmarks", dependencies: ["APDU", "CardCrypto", "CardEmulator"]),
        // `make bench`: the virtual reader's round trip (a PC/SC client and a minimal vpcd card of our own).
        .executableTarget(name: "VirtualReaderBenchmark", dependencies: ["CPCSCLite"]),

        // Running programs from tests (the built mynaconf, Debian's tools): one runner, no stalls, time limits.
        .target(name: "TestSupport", path: "Tests/TestSupport"),

        .testTarget(name: "APDUTests", dependencies: ["APDU"]),
        .testTarget(
            name: "CardCryptoTests",
            dependencies: [
                "CardCrypto",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "CardEmulatorTests",
            dependencies: [
                "CardEmulator", "APDU", "CardCrypto", "TestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["Golden"]
        ),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "CardEmulator", "APDU", "TestSupport"]),
        .testTarget(
            name: "ScenarioTests", dependencies: ["Scenario", "YAMLSource", "APDU", "TestSupport"], exclude: ["Broken"]),
        .testTarget(
            name: "RunnerTests",
            dependencies: ["Runner", "Scenario", "Transport", "CardEmulator", "CardCrypto", "APDU", "TestSupport"]),
        .testTarget(name: "MynaconfTests", dependencies: ["mynaconf", "TestSupport"], exclude: ["Fixtures", "Golden"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Runner", "TestSupport"], exclude: ["Golden"]),
        .testTarget(
            name: "CryptoVectorsTests",
            dependencies: ["CryptoVectors", "CardCrypto", "CardEmulator", "Transport", "APDU", "YAMLSource", "TestSupport"]
        ),
        // Through the real pcscd and vpcd, with clients no one here wrote (OpenSC, pcsc-tools, pyscard, openssl).
        .testTarget(
            name: "VirtualReaderTests",
            dependencies: ["Transport", "CardEmulator", "CardCrypto", "APDU", "Runner", "mynaconf", "TestSupport"],
            exclude: ["Scripts"]
        ),
    ]
)
