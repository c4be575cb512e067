import Brigade
import Foundation
import PostgresNIO

/// Where a PostgreSQL database is, read from a `postgres://` URL:
/// `postgres://user[:password]@host[:port]/database`, or with `?host=/path/to/socket/dir` for a
/// unix socket (as libpq reads it). Percent-escapes in the user and password are decoded.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// The directory of the server's unix socket, when it is reached through one.
    public var socketDirectory: String?

    /// Whether `text` names a PostgreSQL database rather than a file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads a `postgres://` URL. Throws `storage.invalid_url` saying what is wrong.
    public init(url text: String) throws {
        func invalid(_ why: String) -> BrigadeError {
            BrigadeError(
                .invalidDatabaseURL,
                "The database URL is not usable: \(why). Expected postgres://user[:password]@host[:port]/database (or ?host=/socket/dir for a unix socket)."
            )
        }
        guard Self.isURL(text), let components = URLComponents(string: text) else { throw invalid("it is not a postgres:// URL") }
        guard let user = components.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw invalid("it names no user")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw invalid("it names no database after the host") }
        self.user = user
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.database = database
        port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw invalid("the port \(port) is out of range") }
        socketDirectory = components.queryItems?.first(where: { $0.name == "host" })?.value.flatMap { $0.hasPrefix("/") ? $0 : nil }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        if socketDirectory == nil && components.host?.isEmpty != false { throw invalid("it names no host") }
    }

    /// The URL without its password, for logs and errors.
    public var description: String {
        let place = socketDirectory.map { "\(host):\(port)/\(database)?host=\($0)" } ?? "\(host):\(port)/\(database)"
        return "postgres://\(user)\(password == nil ? "" : ":***")@\(place)"
    }

    /// postgres-nio's configuration of one connection (a writer lane's) to this location, with
    /// the same startup parameters as the pool's.
    var connectionConfiguration: PostgresConnection.Configuration {
        var configuration =
            if let socketDirectory {
                PostgresConnection.Configuration(
                    unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
            } else {
                PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
            }
        configuration.options.additionalStartupParameters = Self.startupParameters
        return configuration
    }

    /// A transaction whose client went silent (a node paused or cut off mid-batch, a call
    /// abandoned after its run limit) must not hold its row locks for ever: the server ends it.
    static let startupParameters = [("idle_in_transaction_session_timeout", "30000")]

    /// postgres-nio's client configuration for this location.
    var configuration: PostgresClient.Configuration {
        if let socketDirectory {
            return PostgresClient.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }
}

extension BrigadeError.Code {
    /// A `--db` / `BRIGADE_DB` URL that does not name a PostgreSQL database.
    public static let invalidDatabaseURL = Self(rawValue: "storage.invalid_url")
}
