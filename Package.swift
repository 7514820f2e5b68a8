// swift-tools-version: 6.1
import CompilerPluginSupport
import PackageDescription

/// Settings shared by every Swift target: Swift 6 language mode (set by the tools version)
/// with complete concurrency checking, plus the upcoming features the server ecosystem adopts.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Refinery",
    platforms: [.macOS(.v15)],
    products: [
        // The shared vocabulary: models, requests, messages, JSON, tools, deadlines, costs.
        .library(name: "RefineryCore", targets: ["RefineryCore"]),
        // Orchestration on the vocabulary alone: a service using agents with remote models
        // (Refinery + RefineryOpenAI) compiles no engine and no kernel.
        .library(name: "Refinery", targets: ["Refinery"]),
        // The in-process engine, LocalModel and the model store.
        .library(name: "RefineryInference", targets: ["RefineryInference"]),
        .library(name: "RefineryOpenAI", targets: ["RefineryOpenAI"]),
        .library(name: "RefineryServer", targets: ["RefineryServer"]),
        .library(name: "RefineryTesting", targets: ["RefineryTesting"]),
        .library(name: "RefineryAgents", targets: ["RefineryAgents"]),
        // `@Generable` and `@Guide`: typed results and tool arguments derived from Swift types.
        // A product of its own because its macros compile swift-syntax: services that write
        // their schemas by hand (RefineryCore's `JSONSchema`) never build it.
        .library(name: "RefineryGenerable", targets: ["RefineryGenerable"]),
        // Everything in one `import RefineryKit`, for scripts and quick programs.
        .library(name: "RefineryKit", targets: ["RefineryKit"]),
        .executable(name: "refinery", targets: ["refinery"]),
        .executable(name: "research-pipeline", targets: ["research-pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // The HTTP server (RefineryServer only); default traits off: no swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // The macros' compiler plugin (RefineryGenerable only). A range, not one major version:
        // swift-syntax's major version follows the compiler, and dependents pick theirs.
        .package(url: "https://github.com/swiftlang/swift-syntax", "600.0.1"..<"604.0.0"),
    ],
    targets: [
        // SIMD kernels in C: wide instructions are selected at run time (CPUID), never by
        // global compiler flags, so the package stays usable as a versioned dependency.
        .target(name: "CRefineryKernels"),
        // libcurl with small C shims for its variadic setters; the remote backend's transport.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // The vocabulary every layer shares; depends on no other Refinery module and no C target.
        .target(name: "RefineryCore", swiftSettings: swiftSettings),
        .target(
            name: "RefineryInference",
            dependencies: [
                "RefineryCore",
                "CRefineryKernels",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Refinery",
            dependencies: [
                "RefineryCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RefineryOpenAI",
            dependencies: ["RefineryCore", "CCurl"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RefineryServer",
            dependencies: [
                "Refinery", "RefineryOpenAI", "RefineryInference",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test doubles for agents (scripted model, manual clock): no engine.
        .target(
            name: "RefineryTesting",
            dependencies: ["RefineryCore", "Refinery"],
            swiftSettings: swiftSettings
        ),
        // Test doubles for the engine: GGUF writers for tiny generated models.
        .target(
            name: "RefineryInferenceTesting",
            dependencies: ["RefineryInference"],
            swiftSettings: swiftSettings
        ),
        // Benchmarks of the engine and of agents under deadlines (`refinery bench`).
        .target(
            name: "RefineryBench",
            dependencies: ["RefineryCore", "Refinery", "RefineryInference"],
            swiftSettings: swiftSettings
        ),
        // Public benchmarks (`refinery eval`): BFCL.
        .target(
            name: "RefineryEval",
            dependencies: ["RefineryCore", "Refinery", "RefineryInference"],
            swiftSettings: swiftSettings
        ),
        // The compiler plugin behind `@Generable` and `@Guide`: reads a type's declaration and
        // writes its schema, its decoding and its partially generated form.
        .macro(
            name: "RefineryGenerableMacros",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
                .product(name: "SwiftParser", package: "swift-syntax"),
            ],
            swiftSettings: swiftSettings
        ),
        // The macro declarations; what their expansions call lives in RefineryCore.
        .target(
            name: "RefineryGenerable",
            dependencies: ["RefineryCore", "RefineryGenerableMacros"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RefineryKit",
            dependencies: ["RefineryCore", "Refinery", "RefineryInference", "RefineryOpenAI", "RefineryAgents", "RefineryGenerable"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RefineryAgents",
            dependencies: ["Refinery"],
            path: "Agents",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "refinery",
            dependencies: [
                "RefineryCore",
                "Refinery",
                "RefineryInference",
                "RefineryOpenAI",
                "RefineryServer",
                "RefineryAgents",
                "RefineryBench",
                "RefineryEval",
                "RefineryKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "hello-agent",
            dependencies: ["Refinery", "RefineryInference", "RefineryAgents"],
            path: "Examples/hello-agent",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "typed-extraction", dependencies: ["Refinery", "RefineryInference"], path: "Examples/typed-extraction",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "custom-tool", dependencies: ["Refinery", "RefineryInference"], path: "Examples/custom-tool", swiftSettings: swiftSettings),
        .executableTarget(
            name: "remote-model", dependencies: ["Refinery", "RefineryOpenAI", "RefineryAgents"],
            path: "Examples/remote-model", swiftSettings: swiftSettings),
        .executableTarget(
            name: "backend-service",
            dependencies: ["Refinery", "RefineryInference", "RefineryAgents", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Examples/backend-service", swiftSettings: swiftSettings),
        // Plan, research with tools and a sub-agent, draft, critique, refine: one composition
        // under one deadline. On RefineryKit, so `refinery script` compiles scripts as it was compiled.
        .executableTarget(
            name: "research-pipeline",
            dependencies: ["RefineryKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/research-pipeline", swiftSettings: swiftSettings),
        .testTarget(name: "RefineryCoreTests", dependencies: ["RefineryCore"], swiftSettings: swiftSettings),
        // Expansion tests (swift-syntax's macro testing) and decoding of every supported shape.
        .testTarget(
            name: "RefineryGenerableTests",
            dependencies: [
                "RefineryGenerable", "RefineryGenerableMacros", "Refinery", "RefineryTesting", "RefineryInference",
                .product(name: "SwiftSyntaxMacrosGenericTestSupport", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacroExpansion", package: "swift-syntax"),
                .product(name: "SwiftSyntaxBuilder", package: "swift-syntax"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RefineryInferenceTests",
            dependencies: [
                "RefineryInference", "Refinery", "RefineryInferenceTesting", "RefineryTesting", "RefineryBench",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RefineryTests",
            dependencies: [
                "Refinery", "RefineryTesting", "RefineryInference", "RefineryInferenceTesting", "RefineryBench",
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RefineryEvalTests",
            dependencies: ["RefineryEval", "Refinery", "RefineryInference", "RefineryInferenceTesting", "RefineryTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RefineryOpenAITests",
            dependencies: ["RefineryOpenAI", "Refinery", "RefineryTesting", "RefineryInference", "RefineryInferenceTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RefineryServerTests",
            dependencies: [
                "RefineryServer", "RefineryTesting", "RefineryInferenceTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RefineryAgentsTests",
            dependencies: ["RefineryAgents", "RefineryTesting", "RefineryInference", "RefineryInferenceTesting"],
            swiftSettings: swiftSettings
        ),
        // Runs the built `refinery` executable and the examples as a user would.
        .testTarget(
            name: "RefineryCLITests",
            dependencies: [
                "refinery", "hello-agent", "typed-extraction", "custom-tool", "remote-model", "backend-service",
                "research-pipeline",
                // Imported by the tests themselves: an executable dependency does not order the
                // library modules its sources import before this target's compilation.
                "RefineryEval", "RefineryTesting", "RefineryInferenceTesting",
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
