@_spi(Stores) import Brigade
import PostgresNIO

/// An instance's row by its key, prepared once per connection: the read behind `describe`,
/// `status()` and every wait for an instance's end, sent far more often than any other read
/// (unprepared, its parse and plan cost the server more than running it).
struct InstanceByKeyStatement: PostgresPreparedStatement {
    static let name = "brigade_instance_by_key"
    static let sql = "SELECT \(PostgresStore.instanceColumns) FROM instances WHERE tenant = $1 AND workflow = $2 AND id = $3"
    static var bindingDataTypes: [PostgresDataType] { [.text, .text, .text] }
    typealias Row = InstanceRow

    let key: InstanceKey

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 3)
        binds.append(key.tenant)
        binds.append(key.workflow)
        binds.append(key.id)
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try PostgresStore.instanceRow(row) }
}
