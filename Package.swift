// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "InferWire",
    products: [
        .library(name: "ProtoWire", targets: ["ProtoWire"]),
        .library(name: "InferWireCore", targets: ["InferWireCore"]),
        .library(name: "InferWireProtocol", targets: ["InferWireProtocol"]),
        .library(name: "InferenceService", targets: ["InferenceService"]),
        .library(name: "LLMAPI", targets: ["LLMAPI"]),
        .library(name: "ConversationalMemory", targets: ["ConversationalMemory"]),
        .library(name: "PostgresMemory", targets: ["PostgresMemory"]),
        .library(name: "V2JSON", targets: ["V2JSON"]),
        .library(name: "HTTPDoor", targets: ["HTTPDoor"]),
        .library(name: "GRPCDoor", targets: ["GRPCDoor"]),
        .library(name: "InferWireClient", targets: ["InferWireClient"]),
        .library(name: "InferWireLoad", targets: ["InferWireLoad"]),
        .library(name: "Providers", targets: ["Providers"]),
        .library(name: "Templates", targets: ["Templates"]),
        .library(name: "ProviderSimulator", targets: ["ProviderSimulator"]),
        .library(name: "Pipelines", targets: ["Pipelines"]),
        .executable(name: "inferwire", targets: ["inferwire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
    ],
    targets: [
        // The hand-written protobuf codec and the V2 messages. ByteBuffer is its only dependency:
        // it is the storage from the socket to the runtime, so raw tensors are never copied.
        .target(
            name: "ProtoWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // What every part of the server shares and no door owns: status codes and errors, the
        // request context, the runtime protocol and factory, model settings, JSON values.
        .target(
            name: "InferWireCore",
            dependencies: [
                "ProtoWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ]
        ),
        // The binary protocol's framing (docs/PROTOCOL.md), shared by server and client.
        .target(
            name: "InferWireProtocol",
            dependencies: ["ProtoWire", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // The server: the typed data plane, the binary door, registry, repository, metrics,
        // lifecycle and the echo runtime. Runtimes and stores are wired in by whoever embeds it.
        .target(
            name: "InferenceService",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
                "InferWireCore", "ProtoWire", "InferWireProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The V2 REST JSON shapes (the Open Inference Protocol's, as MLServer and Triton take them)
        // to and from the V2 messages: the HTTP door's codec, and the CLI's --request / --json.
        .target(
            name: "V2JSON",
            dependencies: [
                "InferWireCore", "ProtoWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ]
        ),
        // The HTTP door on Hummingbird 2: V2 REST routes and Triton's binary tensor extension over
        // the data plane.
        .target(
            name: "HTTPDoor",
            dependencies: [
                "InferenceService", "InferWireCore", "ProtoWire", "V2JSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The gRPC door: inference.GRPCInferenceService on grpc-swift 2's core over a transport of
        // our own on swift-nio-http2 (streams at the frame level), ProtoWire as the message codec.
        .target(
            name: "GRPCDoor",
            dependencies: [
                "InferenceService", "InferWireCore", "ProtoWire",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Seldon's LLM API runtime: settings, llm_parameters, the chat tensor convention, prompt
        // templates; providers come from the provider catalog.
        .target(
            name: "LLMAPI",
            dependencies: [
                "InferWireCore", "ProtoWire", "Providers", "Templates",
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Seldon's conversational memory runtime: the store protocol and registry, the window
        // rule, the file and SQLite stores.
        .target(
            name: "ConversationalMemory",
            dependencies: [
                "InferWireCore", "ProtoWire", "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The PostgreSQL memory store (replicas sharing conversations), registered for
        // postgresql:// URLs; its own module so that only those who use it link postgres-nio.
        .target(
            name: "PostgresMemory",
            dependencies: [
                "ConversationalMemory", "InferWireCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Async client over the binary protocol.
        .target(
            name: "InferWireClient",
            dependencies: [
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "InferWireCore", "ProtoWire", "InferWireProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The load generator behind `inferwire load`: open and closed loops on the client's
        // event loops, latencies in HdrHistograms.
        .target(
            name: "InferWireLoad",
            dependencies: [
                "InferWireClient", "InferWireCore", "InferWireProtocol", "ProtoWire",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The `inferwire` command: serve, infer, chat, load, health, models, simulate.
        .executableTarget(
            name: "inferwire",
            dependencies: [
                "CMalloc", "InferWireCore", "InferenceService", "LLMAPI", "ConversationalMemory", "PostgresMemory", "V2JSON", "HTTPDoor", "GRPCDoor", "Pipelines",
                "InferWireClient", "InferWireLoad", "InferWireProtocol", "ProtoWire", "ProviderSimulator", "Providers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // glibc's malloc.h (mallopt): how the server keeps large message buffers for reuse.
        .systemLibrary(name: "CMalloc"),
        // SQLite (Debian's libsqlite3), the embedded conversational-memory store.
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // libcurl, with typed wrappers for its variadic setters.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Upstream LLM providers and the HTTP engine they share (libcurl multi).
        .target(
            name: "Providers",
            dependencies: [
                "CCurl", "InferWireCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ]
        ),
        // Seldon Core 2 pipelines served as models: the Pipeline YAML (Yams), steps run through
        // the server's other models.
        .target(
            name: "Pipelines",
            dependencies: [
                "InferWireCore", "ProtoWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Jinja2-compatible templates (prompt_utils), checked against Python's Jinja2. No dependencies.
        .target(name: "Templates"),
        // OpenAI and Gemini stand-ins on loopback, for tests, demos and benchmarks.
        .target(
            name: "ProviderSimulator",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Test-only reference codec: protoc-c output of proto/inference.proto, linked against
        // Debian's libprotobuf-c. Regenerate with scripts/generate-protobuf-c.sh.
        .target(
            name: "CV2Reference",
            path: "Tests/CV2Reference",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        // Helpers shared by the test suites: temporary folders, a loopback server, chat and memory
        // tensors, child processes that do not block the concurrency pool, a seeded generator.
        .target(
            name: "TestSupport",
            dependencies: [
                "ProtoWire", "InferWireCore", "InferenceService", "InferWireClient",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/TestSupport",
            exclude: ["pychecks.py"]
        ),
        .testTarget(
            name: "ProtoWireTests",
            dependencies: [
                "ProtoWire", "TestSupport",
                "CV2Reference",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "V2JSONTests",
            dependencies: ["V2JSON", "InferWireCore", "ProtoWire", "TestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "InferenceServiceTests",
            dependencies: [
                "InferWireCore", "InferenceService", "InferWireClient", "InferWireProtocol", "ProtoWire", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "LLMAPITests",
            dependencies: [
                "InferWireCore", "InferenceService", "LLMAPI", "InferWireClient", "ProtoWire", "Providers", "ProviderSimulator", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HTTPDoorTests",
            dependencies: [
                "HTTPDoor", "InferWireCore", "InferenceService", "LLMAPI", "ConversationalMemory", "Providers", "ProviderSimulator", "TestSupport", "InferWireClient", "ProtoWire", "GRPCDoor",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["check_rest.py", "check_triton.py", "check_openai.py"]
        ),
        .testTarget(
            name: "GRPCDoorTests",
            dependencies: [
                "GRPCDoor", "InferWireCore", "InferenceService", "LLMAPI", "Providers", "ProviderSimulator", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["check_grpc.py", "check_triton_grpc.py"]
        ),
        .testTarget(
            name: "PipelinesTests",
            dependencies: [
                "Pipelines", "InferWireCore", "InferenceService", "LLMAPI", "ConversationalMemory", "InferWireClient", "ProtoWire", "Providers",
                "ProviderSimulator", "TestSupport",
            ]
        ),
        .testTarget(
            name: "ConversationalMemoryTests",
            dependencies: [
                "InferWireCore", "InferenceService", "ConversationalMemory", "PostgresMemory", "InferWireClient", "ProtoWire", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The `inferwire` command: in-process against a loopback server, and the built binary.
        .testTarget(
            name: "InferwireCLITests",
            dependencies: [
                "inferwire", "InferWireCore", "InferenceService", "LLMAPI", "InferWireClient", "InferWireLoad", "InferWireProtocol", "ProtoWire", "Providers", "V2JSON",
                "TestSupport", "ProviderSimulator",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["check_grpc_drain.py", "check_http_drain_handover.py", "check_pipeline_doors.py"]
        ),
        .testTarget(
            name: "ProvidersTests",
            dependencies: [
                "Providers", "ProviderSimulator", "TestSupport", "InferWireCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "InferWireProtocolTests",
            dependencies: [
                "InferWireProtocol",
                "ProtoWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // Jinja2 differential suite (Python's Jinja2 3.1.6 from scripts/python-env.sh) and unit tests.
        .testTarget(
            name: "TemplatesTests",
            dependencies: ["Templates", "TestSupport"],
            exclude: ["jinja_oracle.py"],
            resources: [.copy("Resources")]
        ),
    ]
)
