// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Elman",
    platforms: [.macOS(.v15)],  // Synchronization's atomics (the recurrence's lanes)
    products: [
        .library(name: "Elman", targets: ["Elman"]),
        .library(name: "ElmanONNX", targets: ["ElmanONNX"]),
        .executable(name: "elman", targets: ["elman"]),
        // `swift run -c release elman-serve MODEL…`: the Open Inference Protocol over HTTP. Its own product, so that
        // `swift run elman` and apps that link the Elman library never build the server stack.
        .executable(name: "elman-serve", targets: ["elman-serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        // ElmanONNX only: the ONNX messages (Sources/ElmanONNX/Generated, generated once, committed).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // `swift package generate-documentation --target Elman`: the DocC catalog in Sources/Elman/Elman.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
        // elman-serve only: the HTTP server, its metrics and its access log.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
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
        // The Open Inference Protocol without a server: tensors, the binary extension, batching, sequences,
        // generation requests. Foundation only, so that its tests (and their sanitizer runs) never build NIO.
        .target(name: "ElmanServing", dependencies: ["Elman"]),
        .executableTarget(
            name: "elman-serve",
            dependencies: [
                "Elman", "ElmanServing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.embedInCode("Resources/playground.html"), .embedInCode("Resources/openapi.yaml")]
        ),
        // Fixtures: model files in earlier format versions, which every later build must still read.
        .testTarget(name: "ElmanTests", dependencies: ["Elman"], resources: [.copy("Fixtures")]),
        // The public API as a dependent package sees it: no @testable import.
        .testTarget(name: "ElmanAPITests", dependencies: ["Elman"]),
        // The exported graph's structure and weights; tools/check_onnx.py runs the files in onnxruntime.
        .testTarget(name: "ElmanONNXTests", dependencies: ["Elman", "ElmanONNX"]),
        // The protocol's logic in-process; tools/serve_check.py tests the server over real HTTP with tritonclient.
        .testTarget(name: "ElmanServingTests", dependencies: ["Elman", "ElmanServing"]),
    ]
)
