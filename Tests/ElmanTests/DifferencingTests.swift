import Foundation
import Testing
@testable import Elman

/// Differenced regression: the KPSS test that chooses it (against statsmodels), the model reading changes, its
/// report in levels beside persistence, and forecasts that add the changes back up.
@Suite struct DifferencingTests {
    @Test func kpssEqualsStatsmodels() throws {
        // statsmodels 0.14: kpss(x, regression="c", nlags="legacy") → 0.41855529203494596 with 11 lags.
        let trend = (0..<50).map { sin(Double($0) / 3) + 0.05 * Double($0) }
        let t = try #require(Stationarity.kpss(trend))
        #expect(abs(t.statistic - 0.41855529203494596) < 1e-12 && t.lags == 11)
        let wave = try #require(Stationarity.kpss((0..<50).map { sin(Double($0) / 3) }))
        #expect(abs(wave.statistic - 0.0905672555737793) < 1e-12)
        #expect(Stationarity.kpss([1, 1, 1, 1]) == nil && Stationarity.kpss([1, 2]) == nil)
        var g = SeededGenerator(seed: 3)
        var walk = [0.0]
        for _ in 0..<499 { walk.append(walk[walk.count - 1] + g.uniform(-1, 1)) }
        #expect(try #require(Stationarity.kpss(walk)).statistic > Stationarity.criticalValue5)
    }

    static func trending(_ rows: Int) -> NumericSeries {
        NumericSeries(columns: ["y"], values: (0..<rows).map { 10 + 0.5 * Double($0) + sin(Double($0) / 2) })
    }

    @Test func aDifferencedModelReadsChangesAndIsScoredAndForecastInLevels() throws {
        let series = Self.trending(300)
        let task = try RegressionTask(train: series.rows(0..<250), validation: series.rows(250..<300), difference: true)
        #expect(task.columns.difference)
        // The standardization is the changes': mean ≈ 0.5 (the slope), not the level's ≈ 72.
        #expect(abs(task.columns.standardization.mean[0] - 0.5) < 0.01)
        var options = TrainingOptions()
        options.hidden = 16
        options.steps = 300
        options.seq = 16
        options.batch = 4
        options.lr = 0.01
        let trainer = try Trainer(options: options, task: task)
        for _ in 0..<options.steps { _ = try trainer.trainStep() }
        let report = try RegressionReport.measure(trainer.params, columns: task.columns, on: series.rows(250..<300))
        #expect(report.predictions == 48)  // rows 252…299: the first change needs two rows, the first prediction one change
        #expect(report.overall.mse < 0.1 * report.overall.persistenceMSE, "MSE \(report.overall.mse), persistence \(report.overall.persistenceMSE)")
        let model = try TrainedModel(params: trainer.params, columns: task.columns)
        let forecast = try model.forecast(history: series.rows(0..<290), horizon: 10)
        let truth = series.rows(290..<300).values
        let worst = zip(forecast.values, truth).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1.0, "forecast \(forecast.values) against \(truth)")  // levels near 155, far outside the training range
        #expect(throws: ElmanError.self) { try model.forecast(history: series.rows(0..<1), horizon: 1) }
    }

    @Test func columnsWithoutDifferenceReadAsNotDifferenced() throws {
        let json = #"{"inputs":[0],"names":["x"],"standardization":{"mean":[0],"scale":[1]},"targets":[0],"difference":true}"#
        #expect(try JSONDecoder().decode(RegressionTask.Columns.self, from: Data(json.utf8)).difference)
        let old = #"{"inputs":[0],"names":["x"],"standardization":{"mean":[0],"scale":[1]},"targets":[0]}"#
        #expect(try JSONDecoder().decode(RegressionTask.Columns.self, from: Data(old.utf8)).difference == false)
        let changes = [0.5 + sin(0.5) - sin(0), 0.5 + sin(1) - sin(0.5), 0.5 + sin(1.5) - sin(1)]
        #expect(zip(Self.trending(4).differenced().values, changes).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(Self.trending(4).differenced().steps == 3)
    }
}
