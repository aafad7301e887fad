import Elman

extension TrainCommand {
    /// `elman train --task classify` on real-valued series (a UCR/UEA `.ts` or `.tsv` file).
    func trainSeriesClassifier(_ settings: RunSettings, note: String, base: TrainedModel?, directory: String,
                               resumeFrom: (file: SafeTensorsFile, name: String)?) throws {
        let (name, train, validation, validationName) = try settings.seriesClassificationData()
        let task = try SeriesClassificationTask(train: train, validation: validation, name: name, validationName: validationName,
                                                labels: base?.labels, input: base?.series, window: settings.window)
        let input = task.input, lengths = train.lengthRange
        let range = lengths.lowerBound == lengths.upperBound ? "\(lengths.upperBound)" : "\(lengths.lowerBound)–\(lengths.upperBound)"
        let steps = input.steps(length: lengths.upperBound)
        let windowSource = settings.window != nil ? "--window" : base != nil ? "the model's" : "default: at most \(SeriesInput.defaultSteps) steps; --window k overrides"
        let header = "\(name) · real-valued series (\(note)) · \(input.channels) channel\(input.channels == 1 ? "" : "s"), length \(range), "
            + "window \(input.window) (\(windowSource)) → \(steps) step\(steps == 1 ? "" : "s") of \(input.features) values, "
            + "standardized per channel · \(task.labels.count) labels (\(task.labels.joined(separator: ", "))), "
            + "\(task.train.count) train / \(task.validation.count) validation series"
        try self.train(task, settings, base: base, directory: directory, resumeFrom: resumeFrom, items: task.train.count,
                       perStep: { Double($0.batch) }, header: header,
                       finish: { trainer, _ in reportAccuracy(trainer.best, validationLabels: task.validation.map(\.label)) })
    }
}
