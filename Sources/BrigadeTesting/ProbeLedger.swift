import Foundation

/// The ledger `brigade crash-probe` (and `brigade serve --probe-ledger`) step bodies append to:
/// one line per body execution, `instance<TAB>step<TAB>pid`.
public enum ProbeLedger {
    public struct Line: Sendable, Hashable {
        /// `instance/step name`.
        public var step: String
        public var pid: String
    }

    /// The lines written so far (none if the file does not exist yet).
    public static func lines(at path: String) -> [Line] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t")
            guard fields.count == 3 else { return nil }
            return Line(step: "\(fields[0])/\(fields[1])", pid: String(fields[2]))
        }
    }
}
