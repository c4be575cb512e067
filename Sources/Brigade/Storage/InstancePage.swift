import Foundation

/// A page of instances and the cursor of the next one (nil on the last page).
public struct InstancePage: Sendable {
    public var instances: [InstanceRow]
    public var nextCursor: String?

    public init(instances: [InstanceRow], nextCursor: String?) {
        self.instances = instances
        self.nextCursor = nextCursor
    }
}
