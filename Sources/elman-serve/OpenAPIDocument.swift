import Foundation

/// `GET /openapi.yaml`: Resources/openapi.yaml with the `name` path parameter's placeholder
/// (`x-elman-served-models: []`) replaced by an `enum` of this server's models, so that the served document says
/// which names answer and a client or fuzzer reaches them. Model names are letters, digits, `-`, `_` and `.`
/// (ModelNames), so each is a safe double-quoted YAML scalar.
func openAPIDocument(models: [String]) -> [UInt8] {
    let names = models.map { "\"\($0)\"" }.joined(separator: ", ")
    return Array(String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
        .replacingOccurrences(of: "x-elman-served-models: []", with: "enum: [\(names)]").utf8)
}
