import Brigade
import Foundation

/// Tables and colour on a terminal, plain text when piped.
enum Terminal {
    static let isTTY = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    static func bold(_ text: String) -> String { isTTY ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
    static func dim(_ text: String) -> String { isTTY ? "\u{1B}[2m\(text)\u{1B}[0m" : text }

    static func status(_ status: String) -> String {
        let (symbol, colour): (String, String) =
            switch status {
            case "complete": ("✅", "32")
            case "errored": ("❌", "31")
            case "terminated": ("🚫", "31")
            case "paused": ("⏸️", "33")
            case "queued": ("⌛", "36")
            case "running": ("▶", "34")
            case "rollingBack": ("↩", "35")
            case "waiting": ("⏰", "36")
            case "waitingForPause": ("⏱️", "33")
            default: ("❓", "0")
            }
        return isTTY ? "\(symbol) \u{1B}[\(colour)m\(status)\u{1B}[0m" : status
    }

    /// Left-aligned columns separated by two spaces; widths ignore colour codes.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        func visible(_ text: String) -> Int {
            text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression).count
        }
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { visible($0[column]) }.max() ?? 0 }
        return all.enumerated().map { index, row in
            let line = row.enumerated().map { column, cell in
                cell + String(repeating: " ", count: max(0, widths[column] - visible(cell)))
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            return index == 0 ? bold(line) : line
        }.joined(separator: "\n")
    }

    /// `2026-11-23T18:32:45.394Z` → `2026-11-23 18:32:45`.
    /// An ISO 8601 time as the API writes it, or milliseconds since 1970 as an event stream does.
    static func time(_ value: JSONValue?) -> String {
        if case .number(let milliseconds)? = value {
            let date = Date(timeIntervalSince1970: milliseconds / 1_000)
            return time(.string(date.formatted(.iso8601)))
        }
        guard case .string(let text)? = value else { return "-" }
        return String(text.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    static func date(_ value: JSONValue?) -> Date? {
        guard case .string(let text)? = value else { return nil }
        return try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
    }

    /// The time between two timestamps (to now when the end is missing), as 1.234s or 2m 3s.
    static func duration(_ start: JSONValue?, _ end: JSONValue?) -> String {
        guard let from = date(start) else { return "-" }
        let seconds = (date(end) ?? Date()).timeIntervalSince(from)
        if seconds < 60 { return String(format: "%.3fs", seconds) }
        return "\(Int(seconds) / 60)m \(Int(seconds) % 60)s"
    }

    static func truncated(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "[...output truncated]"
    }
}
