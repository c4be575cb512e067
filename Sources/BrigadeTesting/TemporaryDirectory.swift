import Foundation

/// A new directory under the system's temporary directory, for a test's database files.
/// Call ``remove()`` (typically in a `defer`) to delete it and everything in it.
public struct TemporaryDirectory: Sendable {
    /// The directory's path.
    public let path: String

    public init(prefix: String = "brigade-test") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
