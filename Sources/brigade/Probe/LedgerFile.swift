import ArgumentParser
import Foundation

/// An append-only file of step executions kept outside the engine: each line is written with one
/// `write(2)` on an `O_APPEND` descriptor, so it survives a kill -9 of the process.
final class LedgerFile: Sendable {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw ValidationError("cannot open the ledger file \(path): \(String(cString: strerror(errno)))")
        }
    }

    func append(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    deinit { close(descriptor) }
}
