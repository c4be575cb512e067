import Brigade
import Foundation

/// Raised when a condition a test waits for does not hold in time.
public struct TestTimeout: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Polls `condition` (in real time, every millisecond) until it holds, or throws ``TestTimeout``
/// after `timeout`. The timeout is a safety net for a broken build, not a measurement.
public func eventually(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(1))
    }
    if try await condition() { return }
    throw TestTimeout(description: "timed out after \(timeout) waiting for \(what())")
}
