// swift-tools-version:6.0
// libFuzzer targets over the ProtoWire decoders (FuzzDecode) and the HTTP door's JSON reading
// (FuzzJSON). A separate package so that the root package
// does not build with sanitizers. Run from the repository root: bash scripts/fuzz.sh SECONDS
// (see Fuzz/README.md).
import PackageDescription

let package = Package(
    name: "InferWireFuzz",
    dependencies: [
        .package(name: "InferWire", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // No main.swift and no @main: libFuzzer supplies main() and calls LLVMFuzzerTestOneInput.
        .executableTarget(
            name: "FuzzDecode",
            dependencies: [
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzJSON",
            dependencies: [
                .product(name: "V2JSON", package: "InferWire"),
                .product(name: "ProtoWire", package: "InferWire"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
