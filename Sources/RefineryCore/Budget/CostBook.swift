import Synchronization

/// The live cost figures of the models an agent uses, shared by its runs.
///
/// Every generation a step finishes is observed here; the planner reads the current figures.
/// With a ``CostModelStore``, figures are loaded on first use and saved after each update.
public final class CostBook: Sendable {
    private let models: Mutex<[String: CostModel]>
    private let store: CostModelStore?

    /// A book seeded with `costs`, loading and saving through `store` when given.
    public init(_ costs: [CostModel] = [], store: CostModelStore? = nil) {
        self.models = Mutex(Dictionary(costs.map { ($0.model, $0) }, uniquingKeysWith: { _, last in last }))
        self.store = store
    }

    /// A book persisting to `$REFINERY_HOME/costs` (see ``CostModelStore/fromEnvironment(_:)``).
    public static func fromEnvironment() -> CostBook { CostBook(store: .fromEnvironment()) }

    /// The figures for `model`: known ones, else stored ones, else defaults.
    public func cost(for model: String) -> CostModel {
        if let known = models.withLock({ $0[model] }) { return known }
        let loaded = store?.load(model) ?? CostModel(model: model)
        return models.withLock { table in
            if let raced = table[model] { return raced }
            table[model] = loaded
            return loaded
        }
    }

    /// Replaces the figures for `cost.model`.
    public func set(_ cost: CostModel) {
        models.withLock { $0[cost.model] = cost }
    }

    /// Learns from one generation of `model` and persists the result when a store is set
    /// (a failed save keeps the figures in memory).
    @discardableResult
    public func observe(_ model: String, stats: GenerationStats, wallTime: Duration, firstToken: Duration?) -> CostModel
    {
        _ = cost(for: model)
        let updated = models.withLock { table -> CostModel in
            var cost = table[model] ?? CostModel(model: model)
            cost.observe(stats, wallTime: wallTime, firstToken: firstToken)
            table[model] = cost
            return cost
        }
        try? store?.save(updated)
        return updated
    }

    /// Learns `model`'s decode rate alone (see ``CostModel/observeDecode(tokens:in:)``).
    @discardableResult
    public func observeDecode(_ model: String, tokens: Int, in time: Duration) -> CostModel {
        _ = cost(for: model)
        let updated = models.withLock { table -> CostModel in
            var cost = table[model] ?? CostModel(model: model)
            cost.observeDecode(tokens: tokens, in: time)
            table[model] = cost
            return cost
        }
        try? store?.save(updated)
        return updated
    }

    /// Whether `model`'s figures were measured (observed or calibrated), here or in the store,
    /// rather than the defaults.
    public func isMeasured(_ model: String) -> Bool { cost(for: model).observations > 0 }

    /// Sets `cost` as the figures of its model and persists them when a store is set.
    public func record(_ cost: CostModel) throws(CostStoreError) {
        set(cost)
        try store?.save(cost)
    }

    /// Learns that a call to `model` produced nothing in `wallTime` (see ``CostModel/observeNoOutput(after:)``).
    @discardableResult
    public func observeNoOutput(_ model: String, after wallTime: Duration) -> CostModel {
        _ = cost(for: model)
        let updated = models.withLock { table -> CostModel in
            var cost = table[model] ?? CostModel(model: model)
            cost.observeNoOutput(after: wallTime)
            table[model] = cost
            return cost
        }
        try? store?.save(updated)
        return updated
    }
}
