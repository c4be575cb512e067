import Foundation

/// A due instance found by a sweep.
@_spi(Stores) public struct DueInstance: Sendable, Hashable {
    /// A place in the order the alarms are read in: by due time, then by `seq`.
    public struct Position: Sendable, Hashable, Comparable {
        public var dueAt: Int64
        public var seq: Int64
        public init(dueAt: Int64, seq: Int64) {
            self.dueAt = dueAt
            self.seq = seq
        }
        public static func < (lhs: Position, rhs: Position) -> Bool { (lhs.dueAt, lhs.seq) < (rhs.dueAt, rhs.seq) }
    }

    public var seq: Int64
    public var id: String
    public var status: InstanceStatus
    public var dueAt: Int64

    public var position: Position { Position(dueAt: dueAt, seq: seq) }

    public init(seq: Int64, id: String, status: InstanceStatus, dueAt: Int64) {
        self.seq = seq
        self.id = id
        self.status = status
        self.dueAt = dueAt
    }
}
