// swift-tools-version:6.1
// Benchmarks for ProtoWire against protobuf-c, Google's C++ protobuf and swift-protobuf, on the V2 messages.
// A separate package so that the root package does not depend on the benchmark tooling.
// Run: Benchmarks/run.sh (see docs/BENCHMARKS.md).
import PackageDescription

let package = Package(
    name: "InferWireBenchmarks",
    dependencies: [
        .package(name: "InferWire", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
    ],
    targets: [
        // protoc-gen-swift 1.39.0 output of proto/inference.proto (Visibility=Public), committed as-is.
        .target(
            name: "SwiftProtobufV2",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // protoc-c output of proto/inference.proto (scripts/generate-protobuf-c.sh Benchmarks/Sources/CV2Reference),
        // linked against Debian's libprotobuf-c.
        .target(
            name: "CV2Reference",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        // Google's C++ protobuf (protoc 3.21 output, scripts/generate-protobuf-cpp.sh) behind a C
        // interface, linked against Debian's libprotobuf: the arena-based reference.
        .target(
            name: "CppV2Reference",
            linkerSettings: [.linkedLibrary("protobuf"), .linkedLibrary("stdc++")]
        ),
        // The canonical scenario messages, built once, and the startup cross-check.
        .target(
            name: "V2Fixtures",
            dependencies: [
                "SwiftProtobufV2",
                "CV2Reference",
                "CppV2Reference",
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // A plain loop over one operation, for valgrind --tool=callgrind and quick checks.
        .executableTarget(
            name: "V2Profile",
            dependencies: [
                "V2Fixtures",
                "SwiftProtobufV2",
                "CV2Reference",
                "CppV2Reference",
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // Echo requests/s and latency percentiles over the binary protocol on loopback.
        .executableTarget(
            name: "EchoLoad",
            dependencies: [
                .product(name: "InferenceService", package: "InferWire"),
                .product(name: "InferWireClient", package: "InferWire"),
                .product(name: "InferWireProtocol", package: "InferWire"),
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // The binary protocol with no work behind it: the ceiling of `inferwire load`.
        .executableTarget(
            name: "NullServer",
            dependencies: [
                .product(name: "InferWireProtocol", package: "InferWire"),
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Plain libcurl in C: the direct baseline the provider layer is measured against.
        .target(
            name: "CurlBaseline",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        // The provider layer's added latency and its memory with many open streams (docs/BENCHMARKS.md).
        .executableTarget(
            name: "ProviderOverhead",
            dependencies: [
                "CurlBaseline",
                .product(name: "Providers", package: "InferWire"),
                .product(name: "ProviderSimulator", package: "InferWire"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // The whole gateway (binary client → InferWire → LLM runtime → simulator) against calling
        // the simulator directly; bytes on the wire for media raw vs base64 (docs/BENCHMARKS.md).
        .executableTarget(
            name: "GatewayOverhead",
            dependencies: [
                .product(name: "InferenceService", package: "InferWire"),
                .product(name: "InferWireCore", package: "InferWire"),
                .product(name: "LLMAPI", package: "InferWire"),
                .product(name: "InferWireClient", package: "InferWire"),
                .product(name: "InferWireProtocol", package: "InferWire"),
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "Providers", package: "InferWire"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ]
        ),
        // The same SQL as the memory stores, from C (libsqlite3, libpq): the memory benchmark's baseline.
        .target(
            name: "MemoryBaseline",
            cSettings: [.unsafeFlags(["-I/usr/include/postgresql"])],
            linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("pq")]
        ),
        // Conversational memory append + window latency per backend against MemoryBaseline (docs/BENCHMARKS.md).
        .executableTarget(
            name: "MemoryBench",
            dependencies: [
                "MemoryBaseline",
                .product(name: "ConversationalMemory", package: "InferWire"),
                .product(name: "PostgresMemory", package: "InferWire"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Template render time against Python's Jinja2 (templates/jinja_bench.py), docs/BENCHMARKS.md.
        .executableTarget(
            name: "TemplatesBench",
            dependencies: [.product(name: "Templates", package: "InferWire")]
        ),
        .executableTarget(
            name: "V2Codec",
            dependencies: [
                "V2Fixtures",
                "SwiftProtobufV2",
                "CV2Reference",
                "CppV2Reference",
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/V2Codec",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    cxxLanguageStandard: .cxx17
)
