import Foundation

/// A version's description without its code.
public struct TenantCodeVersion: Sendable, Hashable {
    public var version: Int
    public var versionId: String
    public var language: CodeLanguage
    /// Bytes of the uploaded source.
    public var size: Int
    public var createdAt: Int64

    public init(version: Int, versionId: String, language: CodeLanguage, size: Int, createdAt: Int64) {
        self.version = version
        self.versionId = versionId
        self.language = language
        self.size = size
        self.createdAt = createdAt
    }
}
