extension TrainedModel {
    /// One caller's reading of a shared ``TrainedModel``: the hidden state carried from symbol to symbol and the
    /// buffers of one step, allocated once, so that feeding a symbol allocates nothing.
    ///
    /// A session is not `Sendable`: each thread or task makes its own from the shared model with
    /// ``TrainedModel/session()``.
    ///
    /// ```swift
    /// let session = model.session()
    /// let p = try session.predict("First Cit")   // the state carries:
    /// let q = try session.predict("izen")        // q is what predict("First Citizen") gives
    /// ```
    public final class Session {
        /// The model read.
        public let model: TrainedModel
        /// S(t) of every layer after the text fed so far (zeros before any).
        public private(set) var state: State
        private let stepper: Stepper

        init(_ model: TrainedModel) {
            self.model = model
            state = model.initialState()
            stepper = Stepper(model.params)
        }

        /// Feeds `text` (split into symbols as in training) after everything fed before, and returns the
        /// next-symbol probabilities in vocabulary order; as ``TrainedModel/predict(_:state:)`` with the state
        /// kept here.
        public func predict(_ text: String) throws -> [Float] {
            guard !model.isClassifier, !model.isRegressor else {
                throw ElmanError("predict needs a language model; this is a \(model.isClassifier ? "classifier (use classify)" : "regression model (use forecast)")")
            }
            let ids = try model.vocabulary.encode(text)
            guard !ids.isEmpty else { throw ElmanError("predict needs at least one symbol; the text is empty") }
            for id in ids { stepper.step(id, state: &state.values) }
            return stepper.probabilities(head: model.config.head)
        }

        /// Forgets the text fed so far: the state returns to zeros.
        public func reset() { state = model.initialState() }
    }

    /// A new session on this model, for one thread or task.
    public func session() -> Session { Session(self) }
}

@available(*, unavailable, message: "a session belongs to one thread; make one per thread with TrainedModel.session()")
extension TrainedModel.Session: Sendable {}
