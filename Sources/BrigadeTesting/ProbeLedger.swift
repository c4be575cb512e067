import Foundation

/// The ledger `brigade crash-probe` (and `brigade serve --probe-ledger`) step bodies append to:
/// one line per body execution, `instance<TAB>step<TAB>pid<TAB>start` (start in ms since 1970).
public enum ProbeLedger {
    public struct Line: Sendable, Hashable {
        /// `instance/step name`.
        public var step: String
        public var pid: String
        /// When the body started (ms since 1970), when the line has it.
        public var startedAt: Int64?
    }

    /// The lines written so far (none if the file does not exist yet).
    public static func lines(at path: String) -> [Line] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t")
            guard fields.count == 3 || fields.count == 4 else { return nil }
            return Line(step: "\(fields[0])/\(fields[1])", pid: String(fields[2]), startedAt: fields.count == 4 ? Int64(fields[3]) : nil)
        }
    }
}
