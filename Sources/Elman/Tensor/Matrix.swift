/// A dense row-major matrix: element (i, j) lives at `storage[i * cols + j]`.
///
/// Used by the reference forms, the tests and file conversion. The production engine works on one flat
/// parameter vector (see ``Parameters``) and raw workspaces instead.
public struct Matrix<Element: BinaryFloatingPoint & Sendable>: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    /// rows·cols elements, row after row; changed only through the subscript, so its size always matches.
    public private(set) var storage: [Element]

    public init(rows: Int, cols: Int, repeating value: Element = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = Array(repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, storage: [Element]) {
        precondition(storage.count == rows * cols, "Matrix: \(storage.count) values for \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// Builds a matrix from nested rows; every row must have the same length.
    public init(_ nested: [[Element]]) {
        let cols = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == cols }, "Matrix: ragged rows")
        self.init(rows: nested.count, cols: cols, storage: nested.flatMap { $0 })
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    public subscript(i: Int, j: Int) -> Element {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    public func row(_ i: Int) -> [Element] { Array(storage[(i * cols)..<((i + 1) * cols)]) }

    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t[j, i] = self[i, j] } }
        return t
    }

    /// Matrix product. Self: m×k, other: k×n → m×n.
    public static func * (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.cols == b.rows, "Matrix product: \(a.rows)×\(a.cols) · \(b.rows)×\(b.cols)")
        var c = Matrix(rows: a.rows, cols: b.cols)
        for i in 0..<a.rows {
            for k in 0..<a.cols {
                let aik = a[i, k]
                if aik == 0 { continue }
                for j in 0..<b.cols { c[i, j] += aik * b[k, j] }
            }
        }
        return c
    }

    public static func + (a: Matrix, b: Matrix) -> Matrix { a.zip(b, +) }
    public static func - (a: Matrix, b: Matrix) -> Matrix { a.zip(b, -) }
    public static func += (a: inout Matrix, b: Matrix) { a = a + b }

    /// Element-wise (Hadamard) product, the seed's "∘".
    public func hadamard(_ b: Matrix) -> Matrix { zip(b, *) }

    public func map(_ f: (Element) -> Element) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: storage.map(f))
    }

    private func zip(_ b: Matrix, _ f: (Element, Element) -> Element) -> Matrix {
        precondition(rows == b.rows && cols == b.cols, "Matrix: \(rows)×\(cols) vs \(b.rows)×\(b.cols)")
        return Matrix(rows: rows, cols: cols, storage: Swift.zip(storage, b.storage).map(f))
    }

    /// A diagonal matrix with `values` on its diagonal.
    public static func diagonal(_ values: [Element]) -> Matrix {
        var m = Matrix(rows: values.count, cols: values.count)
        for (i, v) in values.enumerated() { m[i, i] = v }
        return m
    }

    /// Column vector (n×1).
    public static func column(_ values: [Element]) -> Matrix {
        Matrix(rows: values.count, cols: 1, storage: values)
    }
}
