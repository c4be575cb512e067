import Crypto
import Foundation

extension WireFormat {
    /// The namespace of Brigade's workflow ids (RFC 9562 name-based UUIDs).
    private static let workflowNamespace: [UInt8] = withUnsafeBytes(of: UUID(uuidString: "6f1c2b0e-4d8a-5b7e-9c3f-2a1d0e8b7c64")!.uuid) {
        Array($0)
    }

    /// A workflow's `id` (and an instance's `workflow_id`) as Cloudflare gives one: a UUID, not
    /// the name. Name-based (version 5) over the tenant and the name, so every node gives the
    /// same id without storing one, and one tenant's workflow never shares another's id.
    static func workflowId(tenant: String, name: String) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: workflowNamespace)
        hasher.update(data: Data("\(tenant)/\(name)".utf8))
        var bytes = Array(hasher.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        let uuid = bytes.withUnsafeBytes { UUID(uuid: $0.load(as: uuid_t.self)) }
        return uuid.uuidString.lowercased()
    }
}
