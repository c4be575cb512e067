import Foundation

/// Raised by a store when a write carries an epoch that is no longer current: the instance was
/// terminated, restarted, deleted, paused or claimed by another engine since.
@_spi(Stores) public struct FencedWriteError: Error, Sendable, CustomStringConvertible {
    public var seq: Int64
    public var epoch: Int64
    public init(seq: Int64, epoch: Int64) {
        self.seq = seq
        self.epoch = epoch
    }
    public var description: String { "write for instance #\(seq) at epoch \(epoch) rejected: ownership lost" }
}
