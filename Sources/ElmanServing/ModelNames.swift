import Foundation

/// The names models are served under (`/v2/models/{name}`): the run directory's name for a run directory or its
/// `model.safetensors`/`last.safetensors`, else the file's name without its extension; `--name` overrides them in
/// order. Names must be unique and safe in a URL path.
public enum ModelNames {
    public static func resolve(paths: [String], names: [String]) throws -> [String] {
        guard names.isEmpty || names.count == paths.count else {
            throw ServeError.badRequest("\(names.count) --name for \(paths.count) models; expected one --name per MODEL, in order, or none")
        }
        let resolved = names.isEmpty ? paths.map(defaultName) : names
        for (name, path) in zip(resolved, paths) {
            guard !name.isEmpty, name.utf8.count <= 128,
                  name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }),
                  name != ".", name != ".." else {
                throw ServeError.badRequest("the model name \"\(name)\" (of \(path)) is not usable in a URL; expected 1–128 letters, digits, - _ or ., set with --name")
            }
        }
        var first: [String: String] = [:]
        for (name, path) in zip(resolved, paths) {
            if let other = first[name] {
                throw ServeError.badRequest("two models are named \(name) (\(other) and \(path)); give each its own with --name, in MODEL order")
            }
            first[name] = path
        }
        return resolved
    }

    static func defaultName(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return url.lastPathComponent
        }
        if ["model.safetensors", "last.safetensors"].contains(url.lastPathComponent) {
            return url.deletingLastPathComponent().lastPathComponent
        }
        return url.deletingPathExtension().lastPathComponent
    }
}
