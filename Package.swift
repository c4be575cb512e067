// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Brigade",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Brigade", targets: ["Brigade"]),
        .library(name: "BrigadeSQLite", targets: ["BrigadeSQLite"]),
        .library(name: "BrigadePostgres", targets: ["BrigadePostgres"]),
        .library(name: "BrigadeTesting", targets: ["BrigadeTesting"]),
        .library(name: "BrigadeServer", targets: ["BrigadeServer"]),
        .library(name: "BrigadeJS", targets: ["BrigadeJS"]),
        .executable(name: "brigade", targets: ["brigade"]),
        .executable(name: "brigade-agent", targets: ["brigade-agent"]),
        .executable(name: "brigade-ci", targets: ["brigade-ci"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Tenant code's outbound fetch().
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // `swift package generate-documentation --target Brigade` (the DocC catalog; CI builds it).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // `brigade mcp`: the Model Context Protocol, for AI agents.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // examples/ci: a pipeline's commands as subprocesses.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // The programming model, the engine, the control plane and the storage protocol.
        // Deliberately free of NIO, HTTP and database drivers.
        .target(
            name: "Brigade",
            dependencies: [
                "CBrigadeShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "BrigadeSQLite",
            dependencies: [
                "Brigade",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The cluster's store: PostgreSQL through postgres-nio.
        .target(
            name: "BrigadePostgres",
            dependencies: [
                "Brigade",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // ConnectionPoolError: how the pool says the server cannot be reached.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP API (Cloudflare's v4 Workflows routes), tenants and their tokens.
        .target(
            name: "BrigadeServer",
            dependencies: [
                "Brigade",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        // JavaScriptCore's C API (Debian: libjavascriptcoregtk-4.1-dev).
        .systemLibrary(
            name: "CJavaScriptCore",
            pkgConfig: "javascriptcoregtk-4.1",
            providers: [.apt(["libjavascriptcoregtk-4.1-dev"])]
        ),
        // Dynamic workflows: tenant JavaScript in JavaScriptCore behind Brigade's WorkflowSandbox.
        .target(
            name: "BrigadeJS",
            dependencies: [
                "Brigade", "CJavaScriptCore", "CBrigadeShims",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // glibc's GNU extensions for starting esbuild (pipe2, closefrom in posix_spawn), threads'
        // nice values, and giving freed heap back to the system (malloc_trim).
        .target(name: "CBrigadeShims"),
        .target(
            name: "BrigadeTesting",
            dependencies: [
                "Brigade", "BrigadeSQLite", "BrigadePostgres", "CBrigadeShims", .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "brigade",
            dependencies: [
                "Brigade",
                "BrigadeJS",
                "BrigadeSQLite",
                "BrigadePostgres",
                "BrigadeServer",
                // `brigade test`: the test kit's modifiers over a tenant module.
                "BrigadeTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
        // examples/ci: a CI/CD platform embedding Brigade (webhook → the repository's pipeline).
        .executableTarget(
            name: "brigade-ci",
            dependencies: [
                "Brigade", "BrigadeJS", "BrigadeSQLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            path: "examples/ci",
            exclude: ["README.md", "fixture"]
        ),
        // examples/agent: an agent that writes, deploys and runs durable plans through `brigade mcp`.
        .executableTarget(
            name: "brigade-agent",
            dependencies: [.product(name: "MCP", package: "swift-sdk")],
            path: "examples/agent",
            exclude: ["README.md"]
        ),
        .testTarget(
            name: "BrigadeTests",
            dependencies: [
                "Brigade", "BrigadeSQLite", "BrigadeTesting",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "BrigadeSQLiteTests",
            dependencies: ["Brigade", "BrigadeSQLite", "BrigadeTesting", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "BrigadePostgresTests",
            dependencies: [
                "Brigade", "BrigadePostgres", "BrigadeSQLite", "BrigadeTesting",
                // A transaction of the test's own, held open beside the store's.
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "BrigadeJSTests",
            dependencies: [
                "Brigade", "BrigadeJS", "BrigadeSQLite", "BrigadeTesting",
                // A real local HTTP server for fetch().
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "BrigadeServerTests",
            dependencies: [
                "Brigade", "BrigadeJS", "BrigadePostgres", "BrigadeSQLite", "BrigadeServer", "BrigadeTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                // A real MCP client for `brigade mcp`.
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
