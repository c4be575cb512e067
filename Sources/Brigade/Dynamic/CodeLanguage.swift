import Foundation

/// The language tenant code is uploaded in. TypeScript is compiled to JavaScript at upload.
public enum CodeLanguage: String, Sendable, Hashable, Codable, CaseIterable {
    case javascript, typescript

    /// From a file name: `.ts`/`.mts` is TypeScript, anything else JavaScript.
    public init(fileName: String) {
        self = fileName.hasSuffix(".ts") || fileName.hasSuffix(".mts") ? .typescript : .javascript
    }
}
