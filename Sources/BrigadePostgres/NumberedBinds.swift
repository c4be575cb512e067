import PostgresNIO

/// The parameters of a statement whose text is built as they are bound: each bind answers its
/// placeholder (`$1`, `$2`, …).
struct NumberedBinds {
    var binds = PostgresBindings()

    /// Binds `value` and returns its placeholder (`$n`).
    mutating func bind(_ value: some PostgresThrowingDynamicTypeEncodable) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }

    /// Binds `value` (NULL when nil) and returns its placeholder.
    mutating func bind(_ value: (some PostgresThrowingDynamicTypeEncodable)?) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }
}
