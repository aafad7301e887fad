import Foundation
import Testing
@testable import Elman

/// A CSV series' time column: detected (by its name or its dates), named, or none; kept as row labels, never a
/// value; kept by the model; continued by forecasts.
@Suite struct TimeColumnTests {
    @Test func aFirstColumnNamedForTimeOrHoldingDatesIsReadAsLabels() throws {
        let years = try NumericSeries.parse(csv: "Year,flow\n1871,1120\n1872,1160\n1873,963\n", name: "nile.csv")
        #expect(years.columns == ["flow"] && years.values == [1120, 1160, 963])
        #expect(years.time?.name == "Year" && years.time?.labels == ["1871", "1872", "1873"])
        let dates = try NumericSeries.parse(csv: "when,co2\n1958-03-29,316.19\n1958-04-05,317.31\n", name: "co2.csv")
        #expect(dates.columns == ["co2"] && dates.time?.labels == ["1958-03-29", "1958-04-05"])
        // A first column of numbers without a time name is a value; so is every column with .none.
        let plain = try NumericSeries.parse(csv: "t,x\n1,2\n2,3\n", name: "p.csv")
        #expect(plain.columns == ["t", "x"] && plain.time == nil)
        #expect(try NumericSeries.parse(csv: "year,x\n1,2\n2,3\n", name: "p.csv", time: .none).columns == ["year", "x"])
        // Named: any column, and the others stay in order.
        let named = try NumericSeries.parse(csv: "a,stamp,b\n1,x,2\n3,y,4\n", name: "n.csv", time: .named("stamp"))
        #expect(named.columns == ["a", "b"] && named.values == [1, 2, 3, 4] && named.time?.labels == ["x", "y"])
        #expect(named.rows(1..<2).time?.labels == ["y"])
    }

    @Test func aMissingOrLoneTimeColumnIsRefusedByName() {
        let missing = #expect(throws: ElmanError.self) { try NumericSeries.parse(csv: "a,b\n1,2\n3,4\n", name: "n.csv", time: .named("date")) }
        #expect(missing?.message == "--time-column date: n.csv has no column 'date'; its columns are 'a', 'b'")
        let lone = #expect(throws: ElmanError.self) { try NumericSeries.parse(csv: "date\n2020-01-01\n2020-01-02\n", name: "d.csv", time: .named("date")) }
        #expect(lone?.message.hasPrefix("d.csv: its only column, 'date', is read as time") == true)
        // Detection never takes a file's only column: a lone column of numbers named "year" is its values.
        #expect(throws: Never.self) { try NumericSeries.parse(csv: "year\n1\n2\n", name: "y.csv") }
    }

    @Test func forecastRowsContinueTheHistorysTime() throws {
        func continued(_ labels: [String], _ steps: Int) -> [String]? {
            NumericSeries(columns: ["x"], values: labels.map { _ in 0 }, time: ("t", labels)).continuedTime(steps)
        }
        #expect(continued(["1998", "1999"], 3) == ["2000", "2001", "2002"])
        #expect(continued(["1990", "1995"], 2) == ["2000", "2005"])
        #expect(continued(["1958-03-29", "1958-04-05"], 2) == ["1958-04-12", "1958-04-19"])  // weekly
        #expect(continued(["2019-11-30", "2019-12-31"], 1) == ["2020-01-31"])  // daily step of 31 days
        #expect(continued(["2019-11-01", "2019-12-01"], 3) == ["2020-01-01", "2020-02-01", "2020-03-01"])  // monthly
        #expect(continued(["Q1", "Q2"], 2) == ["+1", "+2"])
        #expect(NumericSeries(columns: ["x"], values: [1, 2]).continuedTime(2) == nil)
    }

    @Test func theModelKeepsItsTimeColumnAndOldFilesHaveNone() throws {
        let series = try NumericSeries.parse(csv: "date,x\n" + (0..<40).map { "2020-01-\(String(format: "%02d", $0 % 28 + 1)),\(Double($0 % 7))" }
            .joined(separator: "\n"), name: "s.csv")
        let task = try RegressionTask(train: series, validation: NumericSeries(columns: ["x"], values: []))
        #expect(task.columns.time == "date" && task.columns.names == ["x"] && task.columns.timeColumn == .named("date"))
        let old = #"{"inputs":[0],"names":["x"],"standardization":{"mean":[0],"scale":[1]},"targets":[0]}"#
        let decoded = try JSONDecoder().decode(RegressionTask.Columns.self, from: Data(old.utf8))
        #expect(decoded.time == nil && decoded.timeColumn == .none)
    }
}
