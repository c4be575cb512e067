@_spi(Stores) import Brigade
import Foundation
import PostgresNIO

/// What a claim reads, as prepared statements (a claim is on the path of every instance's
/// start and every wake-up): the instance row under its lock, its steps, its pending events.
enum ReplayReads {
    /// The instance row, locked until the end of the transaction.
    struct LockedInstance: OneInstanceStatement {
        static let name = "brigade_locked_instance"
        typealias Row = InstanceRow
        static let sql = "SELECT \(PostgresStore.instanceColumns) FROM instances WHERE seq = $1 FOR UPDATE"
        let seq: Int64

        func decodeRow(_ row: PostgresRow) throws -> Row { try PostgresStore.instanceRow(row) }
    }

    /// The instance's step records, in order.
    struct Steps: OneInstanceStatement {
        static let name = "brigade_steps"
        typealias Row = StepRecord
        static let sql = "SELECT * FROM steps WHERE instance_seq = $1 ORDER BY position"
        let seq: Int64

        func decodeRow(_ row: PostgresRow) throws -> Row { try PostgresStore.stepRecord(row) }
    }

    /// The instance's events that no wait has consumed yet, oldest first.
    struct PendingEvents: OneInstanceStatement {
        static let name = "brigade_pending_events"
        typealias Row = EventRecord
        static let sql = "SELECT seq, type, payload, created_at FROM events WHERE instance_seq = $1 AND NOT consumed ORDER BY seq"
        let seq: Int64

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (seq, type, payload, createdAt) = try row.decode((Int64, String, Data, Int64).self)
            return EventRecord(seq: seq, type: type, payload: payload, createdAt: createdAt)
        }
    }
}

/// A prepared statement whose one parameter is an instance's seq.
protocol OneInstanceStatement: PostgresPreparedStatement {
    var seq: Int64 { get }
}

extension OneInstanceStatement {
    static var bindingDataTypes: [PostgresDataType] { [.int8] }

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 1)
        binds.append(seq)
        return binds
    }
}
