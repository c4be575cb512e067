// swift-tools-version:6.1
import PackageDescription

// Brigade's benchmarks, kept out of the shipped `brigade` binary: `brigade-bench` runs the peer
// harness's workloads (`shared/bench-peers`) and the control-plane, JavaScript and PostgreSQL
// scenarios of BENCHMARKS.md against the Brigade package one level up.
//
//     swift build -c release --package-path Benchmarks
//     Benchmarks/.build/release/brigade-bench w1
let package = Package(
    name: "BrigadeBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Brigade", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "brigade-bench",
            dependencies: [
                .product(name: "Brigade", package: "Brigade"),
                .product(name: "BrigadeJS", package: "Brigade"),
                .product(name: "BrigadeSQLite", package: "Brigade"),
                .product(name: "BrigadePostgres", package: "Brigade"),
                .product(name: "BrigadeServer", package: "Brigade"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
