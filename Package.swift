// swift-tools-version: 6.0
// screenplan: experiment-design assistant for pooled CRISPR screens with single-cell readout.
import PackageDescription

let package = Package(
    name: "screenplan",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "screenplan", targets: ["screenplan"]),
        .library(name: "ScreenplanCore", targets: ["ScreenplanCore"]),
        .library(name: "ScreenplanTUI", targets: ["ScreenplanTUI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: - C system libraries (installed by the Makefile through apt)
        .systemLibrary(
            name: "CNcursesw",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncursesw5-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .systemLibrary(
            name: "CLibdeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]
        ),

        // MARK: - Packed element-wise math (header-only static inline functions)
        .target(name: "CVectorMath"),

        // MARK: - Core: design, network, dynamics, measurement, simulation, analysis, learning, reports
        .target(
            name: "ScreenplanCore",
            dependencies: [
                "COpenBLAS", "CZlib", "CHDF5", "CLibdeflate", "CVectorMath", .product(name: "Yams", package: "Yams"),
            ],
            linkerSettings: [.linkedLibrary("lapacke"), .linkedLibrary("m")]
        ),

        // MARK: - TUI: state, update, render into a text buffer; no terminal calls
        .target(name: "ScreenplanTUI", dependencies: ["ScreenplanCore"]),

        // MARK: - Terminal: the only code that calls ncurses
        .target(name: "ScreenplanTerminal", dependencies: ["ScreenplanTUI", "CNcursesw"]),

        // MARK: - Commands: what the commands compute, callable in process (no argument parsing, no terminal)
        .target(name: "ScreenplanCommands", dependencies: ["ScreenplanCore", "ScreenplanTUI"]),

        // MARK: - Benchmarks: the workloads `screenplan bench` (and `analyze --bench`, `calibrate --bench`) runs
        .target(name: "ScreenplanBenchmarks", dependencies: ["ScreenplanCore", "ScreenplanTUI"]),

        // MARK: - Executable: one file per command
        .executableTarget(
            name: "screenplan",
            dependencies: [
                "ScreenplanCore", "ScreenplanTUI", "ScreenplanTerminal", "ScreenplanCommands", "ScreenplanBenchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["ScreenplanCore", "ScreenplanTUI"], path: "Tests/TestSupport"),
        .testTarget(name: "ScreenplanCoreTests", dependencies: ["ScreenplanCore", "TestSupport"]),
        .testTarget(name: "ScreenplanTUITests", dependencies: ["ScreenplanTUI", "ScreenplanBenchmarks", "TestSupport"]),
        .testTarget(name: "ScreenplanCLITests", dependencies: ["TestSupport"]),
        .testTarget(
            name: "ScreenplanCommandsTests",
            dependencies: [
                "ScreenplanCommands", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
