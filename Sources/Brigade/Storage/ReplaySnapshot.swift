import Foundation

/// Everything a replay needs, read in one transaction.
@_spi(Stores) public struct ReplaySnapshot: Sendable {
    public var row: InstanceRow
    public var steps: [StepRecord]
    public var events: [EventRecord]

    public init(row: InstanceRow, steps: [StepRecord], events: [EventRecord]) {
        self.row = row
        self.steps = steps
        self.events = events
    }
}
