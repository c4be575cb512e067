import Brigade
import BrigadePostgres
import Testing

/// The `--db` URL: what it names, and a clear error for what it does not.
@Suite struct PostgresLocationTests {
    @Test func aFullURLIsReadWholeAndPrintedWithoutItsPassword() throws {
        let location = try PostgresLocation(url: "postgres://ada:s%40cret@db.example:6543/brigade")
        #expect(location.user == "ada")
        #expect(location.password == "s@cret")
        #expect(location.host == "db.example" && location.port == 6543 && location.database == "brigade")
        #expect(location.socketDirectory == nil)
        #expect(location.description == "postgres://ada:***@db.example:6543/brigade")
        #expect(!location.description.contains("cret"))
    }

    @Test func aSocketDirectoryAndTheDefaultPort() throws {
        let location = try PostgresLocation(url: "postgresql://postgres@localhost/app?host=/tmp/pg")
        #expect(location.port == 5432 && location.socketDirectory == "/tmp/pg" && location.password == nil)
    }

    @Test(arguments: [
        ("postgres://nobody", "names no user"), ("postgres://ada@host", "names no database"),
        ("postgres://ada@host/a/b", "names no database"), ("postgres://ada@host:70000/db", "the port 70000 is out of range"),
        ("mysql://ada@host/db", "not a postgres:// URL"), ("postgres://ada@/db", "names no host"),
    ])
    func whatIsNotADatabaseSaysWhy(_ url: String, _ why: String) {
        do {
            _ = try PostgresLocation(url: url)
            Issue.record("\(url) was accepted")
        } catch let error as BrigadeError {
            #expect(error.code == .invalidDatabaseURL)
            #expect(error.message.contains(why), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func onlyPostgresURLsAreURLs() {
        #expect(PostgresLocation.isURL("postgres://a@b/c") && PostgresLocation.isURL("postgresql://a@b/c"))
        #expect(!PostgresLocation.isURL("brigade.sqlite") && !PostgresLocation.isURL("/var/lib/postgres://x"))
    }
}
