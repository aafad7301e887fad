import ArgumentParser
import Elman
import Foundation

struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Continue a numeric series with a regression model: read the history, then predict K steps ahead.",
        discussion: """
            Reads FILE (a CSV series with the model's columns) to warm the state, then predicts --horizon steps, \
            each prediction fed back as the next input, and prints them as CSV (the model's target columns, with a \
            header; first, when the model has a time column, the time of each forecast row, continuing the \
            history's). --svg draws the history and the forecast.
            """)

    @Argument(help: "Regression model file or run directory written by elman train --task regress.") var model: String
    @Argument(help: "CSV series with the model's columns, the history to continue.") var file: String
    @Option(help: "Steps to predict.") var horizon: Int
    @Option(help: "Also draw the history and the forecast into this SVG file.") var svg: String?

    func run() throws {
        guard (1...10_000_000).contains(horizon) else { throw ElmanError("--horizon is \(horizon); expected 1 … 10000000 steps") }
        let trained = try TrainedModel.load(model)
        guard trained.isRegressor else {
            throw ElmanError("\(model): a \(trained.isClassifier ? "classifier" : "language model"); forecast needs a model from elman train --task regress")
        }
        let history = try NumericSeries.parse(csv: TextFile.read(file), name: file, time: trained.columns?.timeColumn ?? .none)
        let forecast: NumericSeries
        do { forecast = try trained.forecast(history: history, horizon: horizon) } catch let e as ElmanError {
            throw ElmanError("\(file): \(e.message)")
        }
        // The time column, when the model has one, continues the history's: the rows say when they forecast.
        let time = history.continuedTime(forecast.steps)
        var lines = [((history.time.map { [$0.name] } ?? []) + forecast.columns).joined(separator: ",")]
        for t in 0..<forecast.steps {
            let values = forecast.values[(t * forecast.columns.count)..<((t + 1) * forecast.columns.count)].map { "\($0)" }
            lines.append(((time.map { [$0[t]] } ?? []) + values).joined(separator: ","))
        }
        print(lines.joined(separator: "\n"))
        if let svg {
            let series = forecast.columns.enumerated().flatMap { k, name -> [LinePlot.Series] in
                let j = history.columns.firstIndex(of: name) ?? 0
                let past = history.column(j).enumerated().map { (x: Double($0.offset), y: $0.element) }
                let future = [(x: Double(history.steps - 1), y: history.column(j).last ?? 0)]
                    + forecast.column(k).enumerated().map { (x: Double(history.steps + $0.offset), y: $0.element) }
                return [LinePlot.Series(name: "\(name) (history)", color: LinePlot.colors[(2 * k) % LinePlot.colors.count], points: past),
                        LinePlot.Series(name: "\(name) (forecast)", color: LinePlot.colors[(2 * k + 1) % LinePlot.colors.count], points: future)]
            }
            let plot = LinePlot.svg(title: "elman forecast: \((file as NSString).lastPathComponent), \(horizon) steps",
                                    xLabel: "step", yLabel: "value", series: series)
            try FileIO.writeAtomically(Array(plot.utf8), to: svg)
        }
    }
}
