// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Elman",
    platforms: [.macOS(.v15)],  // Synchronization's atomics (the recurrence's lanes)
    products: [
        .library(name: "Elman", targets: ["Elman"]),
        .library(name: "ElmanONNX", targets: ["ElmanONNX"]),
        .executable(name: "elman", targets: ["elman"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        // ElmanONNX only: the ONNX messages (Sources/ElmanONNX/Generated, generated once, committed).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // `swift package generate-documentation --target Elman`: the DocC catalog in Sources/Elman/Elman.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // The ISA-specific micro-kernels (AVX-512, AVX2+FMA), compiled per function for their instruction set
        // with target attributes and chosen at run time, so that no target needs compiler flags.
        .target(name: "CElmanKernels"),
        .target(
            name: "Elman",
            dependencies: [
                "CElmanKernels", .product(name: "RealModule", package: "swift-numerics"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ]
        ),
        // `elman export --onnx`: kept apart so that the Elman library does not depend on protobuf.
        .target(
            name: "ElmanONNX",
            dependencies: ["Elman", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Generated/REGENERATE.md", "Generated/onnx.proto"]
        ),
        .executableTarget(
            name: "elman",
            dependencies: [
                "Elman", "ElmanONNX",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        // Fixtures: model files in earlier format versions, which every later build must still read.
        .testTarget(name: "ElmanTests", dependencies: ["Elman"], resources: [.copy("Fixtures")]),
        // The public API as a dependent package sees it: no @testable import.
        .testTarget(name: "ElmanAPITests", dependencies: ["Elman"]),
        // The exported graph's structure and weights; tools/check_onnx.py runs the files in onnxruntime.
        .testTarget(name: "ElmanONNXTests", dependencies: ["Elman", "ElmanONNX"]),
    ]
)
