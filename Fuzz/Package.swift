// swift-tools-version:6.0
// libFuzzer targets, one per parser that reads what someone else wrote (see Fuzz/README.md).
// A separate package so that the root package never builds with sanitizers. Run from the
// repository root: bash scripts/fuzz.sh SECONDS [TARGET...]
//
// Several targets reach internal types (the connection state machine, the OpenAI request, the
// pipeline spec): scripts/fuzz.sh builds with -enable-testing so that `@testable import` works
// in release builds too.
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
]

let package = Package(
    name: "InferWireFuzz",
    dependencies: [
        .package(name: "InferWire", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
    ],
    targets: [
        // No main.swift and no @main: libFuzzer supplies main() and calls LLVMFuzzerTestOneInput.
        .executableTarget(name: "FuzzDecode", dependencies: [.product(name: "ProtoWire", package: "InferWire")] + nio),
        .executableTarget(
            name: "FuzzJSON",
            dependencies: [
                .product(name: "V2JSON", package: "InferWire"),
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "HTTPDoor", package: "InferWire"),
            ] + nio
        ),
        .executableTarget(
            name: "FuzzFrames",
            dependencies: [
                .product(name: "InferWireProtocol", package: "InferWire"),
                .product(name: "InferenceService", package: "InferWire"),
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ] + nio
        ),
        .executableTarget(
            name: "FuzzGRPC",
            dependencies: [
                .product(name: "GRPCDoor", package: "InferWire"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ] + nio
        ),
        .executableTarget(name: "FuzzTemplates", dependencies: [.product(name: "Templates", package: "InferWire")]),
        .executableTarget(name: "FuzzSSE", dependencies: [.product(name: "Providers", package: "InferWire")]),
        .executableTarget(name: "FuzzProviderAnswers", dependencies: [.product(name: "Providers", package: "InferWire")]),
        .executableTarget(
            name: "FuzzMemoryRecord",
            dependencies: [
                .product(name: "ConversationalMemory", package: "InferWire"),
                .product(name: "InferWireCore", package: "InferWire"),
            ]
        ),
        .executableTarget(
            name: "FuzzSettings",
            dependencies: [
                .product(name: "InferWireCore", package: "InferWire"),
                .product(name: "Pipelines", package: "InferWire"),
                .product(name: "LLMAPI", package: "InferWire"),
                .product(name: "ConversationalMemory", package: "InferWire"),
            ]
        ),
    ]
)
