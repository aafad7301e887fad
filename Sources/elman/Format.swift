import Elman
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Number formatting and timing shared by the subcommands.

/// `x` with `digits` decimals: fixed(3.14159, 2) = "3.14".
func fixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    guard x.isFinite, abs(x) * scale < 1e18 else { return "\(x)" }  // beyond Int's range: Swift's own form
    let v = (abs(x) * scale).rounded()
    let whole = Int(v / scale), frac = Int(v) - whole * Int(scale)
    let fracText = String(frac)
    return (x < 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + String(repeating: "0", count: digits - fracText.count) + fracText : "")
}


/// Four significant digits in plain notation (0.4003, 55.31, 3162) between 1e-4 and 1e7; ``scientific(_:)``
/// outside, where plain digits would hide the magnitude.
func plain(_ x: Double) -> String {
    let a = abs(x)
    guard x.isFinite, a >= 1e-4, a < 1e7 else { return x == 0 ? "0" : scientific(x) }
    return fixed(x, max(0, 3 - Int(a.log10Floor)))
}

/// Two significant digits: 1.2e-5.
func scientific(_ x: Double) -> String {
    guard x.isFinite, x != 0 else { return x == 0 ? "0" : "\(x)" }
    var exponent = Int((abs(x)).log10Floor)
    var mantissa = x / pow10(exponent)
    if abs(mantissa) >= 9.95 { mantissa /= 10; exponent += 1 }
    let rounded = (mantissa * 10).rounded() / 10
    return "\(rounded)e\(exponent)"
}

private func pow10(_ e: Int) -> Double { e >= 0 ? (0..<e).reduce(1.0) { a, _ in a * 10 } : 1 / pow10(-e) }

private extension Double {
    var log10Floor: Double {
        var e = 0.0, v = self
        while v >= 10 { v /= 10; e += 1 }
        while v < 1 { v *= 10; e -= 1 }
        return e
    }
}

func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }

func padLeft(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

/// One line on standard error (notes that must not mix with the command's output).
func printToStandardError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// One JSON object on one line of standard output, keys in snake case and sorted.
func printJSON<V: Encodable>(_ value: V) {
    print(String(decoding: JSONLines.line(value).dropLast(), as: UTF8.self))
}

/// Runs `body`, rewriting a library error's parameter names (``ElmanError/parameters``, TrainingOptions'
/// properties) as the flags that set them: `evalEvery` → `--eval-every`.
func withFlagNames<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as ElmanError where !error.parameters.isEmpty {
        var message = error.message
        for name in error.parameters {
            let flag = "--" + name.reduce(into: "") { $0 += $1.isUppercase ? "-" + $1.lowercased() : String($1) }
            message = message.replacingOccurrences(of: "\\b\(name)\\b", with: flag, options: .regularExpression)
        }
        throw ElmanError(message)
    }
}
