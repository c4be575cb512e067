import Foundation

/// An entry to append to an instance's history.
public struct HistoryEntry: Sendable, Hashable {
    public var type: HistoryEventType
    public var at: Int64
    /// The step (`name-count`) for step events.
    public var step: String?
    /// Event details as a JSON object.
    public var data: [String: JSONValue]

    /// The longest stack trace kept with a failure's event (see ``StackTracedError``): a deep
    /// recursion's trace is cut, not stored whole with every attempt.
    public static let maxStackCharacters = 4_096

    /// The `stack` of a failure's event data for `error`: its trace, cut at
    /// ``maxStackCharacters``; nil when it carries none.
    static func stack(of error: any Error) -> JSONValue? {
        guard let trace = (error as? any StackTracedError)?.stackTrace else { return nil }
        return .string(trace.cut(toUTF8Bytes: maxStackCharacters))
    }

    public init(_ type: HistoryEventType, at: Int64, step: String? = nil, data: [String: JSONValue] = [:]) {
        self.type = type
        self.at = at
        self.step = step
        self.data = data
    }
}
