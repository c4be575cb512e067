extension JSONValue {
    /// The whole number this value holds, when it is a JSON number that is exactly a whole number
    /// within `range`; nil otherwise (not a number, a fraction, NaN, infinite or out of range).
    ///
    /// Every count, limit and version that arrives as JSON — from a request, a stored row or
    /// tenant code — goes through here: `Int(someDouble)` traps on `1e300`, and a trap takes the
    /// whole process down with every tenant in it.
    public func wholeNumber(in range: ClosedRange<Int>) -> Int? {
        guard case .number(let value) = self, let whole = Int(exactly: value), range.contains(whole) else { return nil }
        return whole
    }
}
