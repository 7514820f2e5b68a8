import Synchronization

/// The live cost figures of the models an agent uses, shared by its runs.
///
/// Every generation a step finishes is observed here; the planner reads the current figures.
/// With a ``CostModelStore``, figures are loaded on first use and saved after each update.
/// Figures loaded from the store were learned by an earlier process, perhaps during a busy spell
/// that is over: their first observation here replaces any rate more than 2× away whole (see
/// ``CostModel/observe(_:wallTime:firstToken:carriedOver:)``), so a spell never starves the runs after it.
public final class CostBook: Sendable {
    private let models: Mutex<[String: CostModel]>
    /// Models whose figures came from the store and have not been observed in this process.
    private let carriedOver = Mutex<Set<String>>([])
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
        let stored = store?.load(model)
        let loaded = stored ?? CostModel(model: model)
        return models.withLock { table in
            if let raced = table[model] { return raced }
            table[model] = loaded
            if stored != nil { _ = carriedOver.withLock { $0.insert(model) } }
            return loaded
        }
    }

    /// Replaces the figures for `cost.model` (they count as this process's own from now on).
    public func set(_ cost: CostModel) {
        models.withLock { $0[cost.model] = cost }
        _ = carriedOver.withLock { $0.remove(cost.model) }
    }

    /// Whether `model`'s figures came from the store and this is their first observation here
    /// (answered once: the next call says false).
    private func firstObservation(of model: String) -> Bool {
        carriedOver.withLock { $0.remove(model) != nil }
    }

    /// Learns from one generation of `model` and persists the result when a store is set
    /// (a failed save keeps the figures in memory).
    @discardableResult
    public func observe(_ model: String, stats: GenerationStats, wallTime: Duration, firstToken: Duration?) -> CostModel
    {
        _ = cost(for: model)
        let fromStore = firstObservation(of: model)
        let updated = models.withLock { table -> CostModel in
            var cost = table[model] ?? CostModel(model: model)
            cost.observe(stats, wallTime: wallTime, firstToken: firstToken, carriedOver: fromStore)
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
        let fromStore = firstObservation(of: model)
        let updated = models.withLock { table -> CostModel in
            var cost = table[model] ?? CostModel(model: model)
            cost.observeDecode(tokens: tokens, in: time, carriedOver: fromStore)
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
