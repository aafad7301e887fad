import Foundation
import RealModule
import SwiftCSV

/// A multivariate time series: named columns, one row per time step.
public struct NumericSeries: Sendable, Equatable {
    /// The column names, from the CSV header.
    public var columns: [String]
    /// Row-major values: step t, column j at t·columns.count + j.
    public var values: [Double]

    /// The time column, kept apart from the values: its name and each row's cell as written (a date, a year).
    /// Nil when the series has none.
    public var time: (name: String, labels: [String])?

    public var steps: Int { columns.isEmpty ? 0 : values.count / columns.count }

    public init(columns: [String], values: [Double], time: (name: String, labels: [String])? = nil) {
        self.columns = columns
        self.values = values
        self.time = time
    }

    public static func == (a: NumericSeries, b: NumericSeries) -> Bool {
        a.columns == b.columns && a.values == b.values && a.time?.name == b.time?.name && a.time?.labels == b.time?.labels
    }

    /// Which column of a CSV file holds the time of each row, read as labels rather than values.
    public enum TimeColumn: Sendable, Equatable {
        /// The first column, when its name says time (``timeNames``) or its first cell is a date or a time
        /// (digits with `-`, `/` or `:`, not a number); otherwise none.
        case detect
        /// The column of this name.
        case named(String)
        /// None: every column is a value.
        case none
    }

    /// First-column names that mark a time column, compared without case.
    public static let timeNames: Set<String> = ["date", "time", "timestamp", "datetime", "ds", "year", "month", "week", "day",
                                                "period", "quarter"]

    /// First differences: row t is row t + 1 minus row t, one row fewer; the time labels from the second row.
    public func differenced() -> NumericSeries {
        let w = columns.count
        guard steps >= 1 else { return self }
        let diffs = (w..<values.count).map { values[$0] - values[$0 - w] }
        return NumericSeries(columns: columns, values: diffs, time: time.map { ($0.name, Array($0.labels.dropFirst())) })
    }

    /// Column `j` of every step.
    public func column(_ j: Int) -> [Double] { (0..<steps).map { values[$0 * columns.count + j] } }

    /// Rows `range` as a series of their own.
    public func rows(_ range: Range<Int>) -> NumericSeries {
        NumericSeries(columns: columns, values: Array(values[(range.lowerBound * columns.count)..<(range.upperBound * columns.count)]),
                      time: time.map { ($0.name, Array($0.labels[range])) })
    }

    /// The cells of one CSV line: its delimiters outside double quotes, plus one.
    static func cellCount(_ line: Substring, delimiter: Character) -> Int {
        var quoted = false, count = 1
        for c in line {
            if c == "\"" { quoted.toggle() } else if c == delimiter && !quoted { count += 1 }
        }
        return count
    }

    /// Reads CSV text with a header row (comma, semicolon or tab separated, guessed from the header), one row per
    /// time step, every cell a finite number. A malformed row is an error that names its line and column.
    /// `time` chooses the column read as each row's time label instead of a value (default: detected).
    public static func parse(csv text: String, name: String, time: TimeColumn = .detect) throws -> NumericSeries {
        let csv: CSV<Enumerated>
        do {
            csv = try CSV<Enumerated>(string: text, loadColumns: false)
        } catch {
            throw ElmanError("\(name): not a CSV file: \(error)")
        }
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        guard !header.isEmpty, !header.allSatisfy(\.isEmpty) else {
            throw ElmanError("\(name): no header row; expected a first line naming the columns, such as 'time,temperature'")
        }
        if let blank = header.firstIndex(of: "") {
            throw ElmanError("\(name):1: column \(blank + 1) has no name; expected a header naming every column")
        }
        let timeIndex = try timeColumn(time, header: header, firstRow: csv.rows.first, name: name)
        var values: [Double] = [], labels: [String] = []
        values.reserveCapacity(csv.rows.count * header.count)
        // The parser pads a short row with empty cells; its line says how many it really has.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (i, row) in csv.rows.enumerated() where !row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            let line = i + 2
            let cells = line <= lines.count ? cellCount(lines[line - 1], delimiter: csv.delimiter.rawValue) : row.count
            guard cells <= header.count || row[header.count...].allSatisfy(\.isEmpty) else {
                throw ElmanError("\(name):\(line): \(cells) cells; expected \(header.count), one per column of the header")
            }
            guard cells >= header.count else {
                throw ElmanError("\(name):\(line): \(cells) cell\(cells == 1 ? "" : "s"); expected \(header.count), one per column "
                    + "of the header (\(header.joined(separator: ", ")))")
            }
            for (j, cell) in row.prefix(header.count).enumerated() {
                let text = cell.trimmingCharacters(in: .whitespaces)
                if j == timeIndex {
                    labels.append(text)
                    continue
                }
                guard let v = Double(text), v.isFinite else {
                    throw ElmanError("\(name):\(line): column \(j + 1) ('\(header[j])') is '\(text)'; expected a finite number")
                }
                values.append(v)
            }
        }
        var columns = header
        if let timeIndex { columns.remove(at: timeIndex) }
        guard !columns.isEmpty else {
            throw ElmanError("\(name): its only column, '\(header[0])', is read as time; expected a column of values beside it "
                + "(--time-column none reads it as values)")
        }
        let series = NumericSeries(columns: columns, values: values, time: timeIndex.map { (header[$0], labels) })
        guard series.steps >= 2 else {
            throw ElmanError("\(name): \(series.steps) data row\(series.steps == 1 ? "" : "s"); expected at least 2 time steps")
        }
        return series
    }

    /// The index of the time column that `choice` picks in `header`; nil for none.
    static func timeColumn(_ choice: TimeColumn, header: [String], firstRow: [String]?, name: String) throws -> Int? {
        switch choice {
        case .none: return nil
        case .named(let column):
            guard let j = header.firstIndex(of: column) else {
                throw ElmanError("--time-column \(column): \(name) has no column '\(column)'; its columns are "
                    + header.map { "'\($0)'" }.joined(separator: ", "))
            }
            return j
        case .detect:
            guard header.count >= 2 else { return nil }
            if timeNames.contains(header[0].lowercased()) { return 0 }
            guard let cell = firstRow?.first?.trimmingCharacters(in: .whitespaces), Double(cell) == nil,
                  cell.contains(where: \.isNumber), cell.contains(where: { "-/:".contains($0) }) else { return nil }
            return 0
        }
    }

    /// The time labels of `steps` rows after this series' last, continuing its time column: whole numbers (years)
    /// and ISO dates (`yyyy-MM-dd`) by the step between the last two rows; otherwise `+1`, `+2`, … (steps after
    /// the last row). Nil when the series has no time column.
    public func continuedTime(_ steps: Int) -> [String]? {
        guard let time, let last = time.labels.last else { return nil }
        let previous = time.labels.dropLast().last
        if let a = previous.flatMap({ Int($0) }), let b = Int(last), b > a {
            return (1...max(steps, 1)).prefix(steps).map { String(b + $0 * (b - a)) }
        }
        let utc = TimeZone(identifier: "UTC") ?? .current
        let format = Date.ISO8601FormatStyle(timeZone: utc).year().month().day().dateSeparator(.dash)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        if let p = previous, let a = try? format.parse(p), let b = try? format.parse(last), b > a {
            // Whole months when the day of the month repeats (monthly, quarterly, yearly data), else days.
            let months = calendar.dateComponents([.month], from: a, to: b).month ?? 0
            let step = months > 0 && calendar.component(.day, from: a) == calendar.component(.day, from: b)
                ? DateComponents(month: months) : DateComponents(day: calendar.dateComponents([.day], from: a, to: b).day ?? 1)
            var labels: [String] = [], date = b
            for _ in 0..<steps {
                date = calendar.date(byAdding: step, to: date) ?? date
                labels.append(date.formatted(format))
            }
            return labels
        }
        return (1...max(steps, 1)).prefix(steps).map { "+\($0)" }
    }

    /// Column indices from a list of names or 1-based numbers separated by commas ("temp,wind" or "1,3").
    ///
    /// - Parameters:
    ///   - list: the names or numbers, as given after `option`.
    ///   - option: the flag the list came with, for the error message.
    ///   - file: the series' file (or description), for the error message.
    /// - Throws: ``ElmanError`` naming the item that is no column of this series and the columns it has.
    public func columnIndices(_ list: String, option: String, file: String) throws -> [Int] {
        let items = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty else { throw ElmanError("\(option) is empty; expected column names or numbers") }
        return try items.map { item in
            if let j = columns.firstIndex(of: item) { return j }
            if let k = Int(item), (1...columns.count).contains(k) { return k - 1 }
            let names = columns.map { "'\($0)'" }.joined(separator: ", ")
            throw ElmanError("\(option) \(list): \(file) has no column '\(item)'; its columns are \(names) "
                + "(or their numbers 1…\(columns.count))")
        }
    }

    /// The Mackey–Glass series dx/dt = β·x(t−τ)/(1 + x(t−τ)^10) − γ·x(t) with β = 0.2, γ = 0.1 and τ = 17, the
    /// classic chaotic benchmark, integrated with fourth-order Runge–Kutta at dt = 0.1 (the delayed term held
    /// over each step) and sampled once per time unit after a transient of 500; one column, `x`.
    public static func mackeyGlass(steps: Int, tau: Int = 17) -> NumericSeries {
        let dt = 0.1, perUnit = 10, delay = tau * perUnit, transient = 500 * perUnit
        var history = [Double](repeating: 1.2, count: delay + 1)  // x on (−τ, 0], constant
        var x = 1.2
        var samples: [Double] = []
        samples.reserveCapacity(steps)
        func f(_ x: Double, _ lagged: Double) -> Double { 0.2 * lagged / (1 + Double.pow(lagged, 10)) - 0.1 * x }
        var i = 0
        while samples.count < steps {
            let lagged = history[i % (delay + 1)]
            let k1 = f(x, lagged), k2 = f(x + dt / 2 * k1, lagged), k3 = f(x + dt / 2 * k2, lagged), k4 = f(x + dt * k3, lagged)
            history[i % (delay + 1)] = x
            x += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            i += 1
            if i > transient && i % perUnit == 0 { samples.append(x) }
        }
        return NumericSeries(columns: ["x"], values: samples)
    }
}

/// Per-column mean and standard deviation, measured on training data and applied to everything the model sees.
public struct Standardization: Codable, Sendable, Equatable {
    public var mean: [Double]
    /// Standard deviations; a constant column gets 1, so it is only centered.
    public var scale: [Double]

    public init(mean: [Double], scale: [Double]) {
        self.mean = mean
        self.scale = scale
    }

    /// The mean and standard deviation of each column of `series`.
    public init(of series: NumericSeries) {
        let c = series.columns.count, n = Double(max(series.steps, 1))
        mean = (0..<c).map { j in series.column(j).reduce(0, +) / n }
        scale = (0..<c).map { [mean] j in
            let m = mean[j]
            let variance = series.column(j).reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
            return variance > 0 ? variance.squareRoot() : 1
        }
    }

    /// (v − mean) / scale of column `j`.
    public func standardize(_ v: Double, column j: Int) -> Double { (v - mean[j]) / scale[j] }

    /// The inverse of ``standardize(_:column:)``.
    public func original(_ z: Double, column j: Int) -> Double { z * scale[j] + mean[j] }
}
