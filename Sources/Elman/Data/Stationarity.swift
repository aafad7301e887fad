import Foundation

/// The KPSS test of level stationarity (Kwiatkowski, Phillips, Schmidt and Shin, 1992): whether a series wanders
/// (a trend, a random walk) rather than returning to its mean. Regression runs difference a series whose
/// training part fails it, so that the model predicts the change instead of a level outside the range it saw.
public enum Stationarity {
    /// The statistic's 5% critical value for level stationarity: above it, stationarity is rejected.
    public static let criticalValue5 = 0.463

    /// η = Σ S(t)² / (n² σ̂²), with S the partial sums of the deviations from the mean and σ̂² the long-run
    /// variance (Bartlett weights over ⌈12 (n/100)^¼⌉ lags, as statsmodels' `kpss(nlags="legacy")`). Nil for
    /// fewer than 3 values or a constant series.
    public static func kpss(_ x: [Double]) -> (statistic: Double, lags: Int)? {
        let n = x.count
        guard n >= 3 else { return nil }
        let mean = x.reduce(0, +) / Double(n)
        let e = x.map { $0 - mean }
        let lags = min(n - 1, Int((12 * pow(Double(n) / 100, 0.25)).rounded(.up)))
        var variance = e.reduce(0) { $0 + $1 * $1 } / Double(n)
        for k in stride(from: 1, through: lags, by: 1) {
            var sum = 0.0
            for t in k..<n { sum += e[t] * e[t - k] }
            variance += 2 * (1 - Double(k) / Double(lags + 1)) * sum / Double(n)
        }
        guard variance > 0 else { return nil }
        var partial = 0.0, squares = 0.0
        for v in e {
            partial += v
            squares += partial * partial
        }
        return (squares / (Double(n) * Double(n) * variance), lags)
    }
}
