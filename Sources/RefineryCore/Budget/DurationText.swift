extension Duration {
    /// A duration written as a number followed by `ms` or `s` (`250ms`, `1.5s`, `2s`), as
    /// command lines take deadlines; nil for anything else, for zero or negative values, and
    /// for more than a day.
    ///
    /// ```swift
    /// Duration(deadlineText: "1.5s")  // .milliseconds(1500)
    /// ```
    public init?(deadlineText: String) {
        var trimmed = Substring(deadlineText.lowercased())
        while trimmed.first == " " { trimmed.removeFirst() }
        while trimmed.last == " " { trimmed.removeLast() }
        let (number, scale): (Substring, Double)
        if trimmed.hasSuffix("ms") {
            (number, scale) = (trimmed.dropLast(2), 1e-3)
        } else if trimmed.hasSuffix("s") {
            (number, scale) = (trimmed.dropLast(1), 1)
        } else {
            return nil
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale <= 24 * 3600 else { return nil }
        self = .milliseconds(Int64((value * scale * 1000).rounded()))
    }
}
