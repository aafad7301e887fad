import ElmanServing
import Foundation
import XCTest

final class ModelNamesTests: XCTestCase {
    func testNamesComeFromTheRunDirectoryOrTheFileStem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("names-\(UUID().uuidString)/my-run")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let names = try ModelNames.resolve(paths: [dir.path, "\(dir.path)/model.safetensors", "/x/other-run/last.safetensors", "/x/best.safetensors"],
                                           names: ["a", "b", "c", "d"])
        XCTAssertEqual(names, ["a", "b", "c", "d"])
        XCTAssertEqual(try ModelNames.resolve(paths: [dir.path], names: []), ["my-run"])
        XCTAssertEqual(try ModelNames.resolve(paths: ["/x/other-run/last.safetensors"], names: []), ["other-run"])
        XCTAssertEqual(try ModelNames.resolve(paths: ["/x/best.safetensors"], names: []), ["best"])
    }

    func testDuplicateNamesAndMismatchedCountsAreRefused() {
        XCTAssertThrowsError(try ModelNames.resolve(paths: ["/a/elman-run", "/b/elman-run/model.safetensors"], names: [])) { error in
            XCTAssertEqual((error as? ServeError)?.message,
                           "two models are named elman-run (/a/elman-run and /b/elman-run/model.safetensors); give each its own with --name, in MODEL order")
        }
        XCTAssertThrowsError(try ModelNames.resolve(paths: ["/a/x", "/b/y"], names: ["one"])) { error in
            XCTAssertEqual((error as? ServeError)?.message, "1 --name for 2 models; expected one --name per MODEL, in order, or none")
        }
        XCTAssertThrowsError(try ModelNames.resolve(paths: ["/a/x"], names: ["has space"])) { error in
            XCTAssertTrue((error as? ServeError)?.message.hasPrefix("the model name \"has space\" (of /a/x) is not usable in a URL") == true)
        }
    }
}
