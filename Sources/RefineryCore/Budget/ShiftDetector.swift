import Foundation

/// Tells a lasting change of a learned figure (a rate, a latency) from noise.
///
/// An exponential average follows a change slowly: with the newest observation weighted 0.3, a
/// model measured at 44 tok/s during a busy spell is still planned below 130 tok/s three runs
/// after it is back to 170, and the planner starves those runs of tokens. A detector watches
/// each observation against the figure: one that differs by more than ``startFactor`` (either
/// way) opens a suspected shift anchored at the figure it left; when the next observations stay
/// beyond ``confirmFactor`` of that anchor on the same side, the shift is confirmed and the
/// figure jumps to the geometric mean of the observations that confirmed it. A lone outlier (one
/// slow call) only opens a suspicion that the next ordinary observation clears, so noise keeps
/// its smoothing.
///
/// The detector is a value kept beside its figure (in ``CostModel``) and persisted with it, so a
/// shift seen at the end of one process is confirmed by the first observation of the next.
public struct ShiftDetector: Sendable, Hashable, Codable {
    /// The figure when the suspected shift began (0: none suspected).
    public private(set) var anchor: Double = 0
    /// The side of the suspected shift: 1 up, -1 down, 0 none.
    public private(set) var direction: Int = 0
    /// Observations on the shifted side so far.
    public private(set) var count: Int = 0
    /// Sum of their natural logarithms (for the geometric mean).
    public private(set) var logSum: Double = 0

    /// How far (as a factor) an observation must be from the figure to open a suspected shift.
    public static let startFactor = 2.0
    /// How far from the anchor the following observations must stay to confirm it: looser than
    /// ``startFactor``, so a change of just over 2× is confirmed despite noise.
    public static let confirmFactor = 1.5
    /// Observations on the shifted side that confirm a shift (the opening one included).
    public static let confirmations = 2

    /// A detector with no suspected shift.
    public init() {}

    /// Whether a shift is suspected and waits for confirmation.
    public var isSuspecting: Bool { count > 0 }

    /// Feeds `observed`, a new observation of a figure currently estimated at `current`. Returns
    /// the value the figure should jump to when this observation confirms a shift, or nil when
    /// the caller should smooth as usual. Values below `floor` count as `floor` (a latency of a
    /// few microseconds is not a thousandfold change from one of a few milliseconds).
    /// `needed` is how many shifted observations confirm (1 takes the first whole: for figures
    /// carried over from an earlier process, whose conditions may be gone).
    public mutating func feed(_ observed: Double, current: Double, floor: Double = 1e-9,
                              needed: Int = ShiftDetector.confirmations) -> Double? {
        guard observed.isFinite, current.isFinite else { return nil }
        let value = max(observed, floor, 1e-12)
        let figure = max(current, floor, 1e-12)
        if count > 0 {
            let ratio = value / anchor
            let stays = direction > 0 ? ratio > Self.confirmFactor : ratio < 1 / Self.confirmFactor
            if stays {
                count += 1
                logSum += log(value)
            } else {
                self = ShiftDetector()
            }
        }
        if count == 0 {
            let ratio = value / figure
            guard ratio > Self.startFactor || ratio < 1 / Self.startFactor else { return nil }
            anchor = figure
            direction = ratio > 1 ? 1 : -1
            count = 1
            logSum = log(value)
        }
        guard count >= max(1, needed) else { return nil }
        // One observation is its own mean (exp(log(x)) may differ from x in the last bit).
        let shifted = count == 1 ? value : exp(logSum / Double(count))
        self = ShiftDetector()
        return shifted
    }
}
