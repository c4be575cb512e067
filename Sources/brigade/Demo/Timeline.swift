import Brigade
import Foundation

/// Prints an instance's history as a step timeline, one line per event.
struct Timeline {
    let start: Int64
    let colour: Bool

    init(start: Int64) {
        self.start = start
        colour = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    func line(for event: HistoryEvent) -> String {
        let entry = event.entry
        let seconds = Double(entry.at - start) / 1_000
        let time = String(format: "%8.3fs", seconds)
        var text = "\(time)  \(pad(entry.type.rawValue, 27))"
        if let step = entry.step { text += " \(step)" }
        var details: [String] = []
        if case .number(let attempt)? = entry.data["attempt"] { details.append("attempt \(Int(attempt))") }
        if case .object(let error)? = entry.data["error"], case .string(let message)? = error["message"] {
            details.append(message)
        }
        if case .number(let delay)? = entry.data["retryDelayMs"] { details.append("retry in \(Int(delay)) ms") }
        if case .number(let duration)? = entry.data["durationMs"] { details.append("for \(Int(duration)) ms") }
        if case .string(let type)? = entry.data["eventType"] { details.append("event \"\(type)\"") }
        if case .number(let until)? = entry.data["until"] {
            details.append("hibernated, wakes at +\(String(format: "%.3f", (until - Double(start)) / 1_000))s")
        }
        if case .bool(true)? = entry.data["resumed"] { details.append("resumed") }
        if entry.type == .log, case .string(let message)? = entry.data["message"] { details.append(message) }
        if !details.isEmpty { text += "  (" + details.joined(separator: ", ") + ")" }
        return paint(text, for: entry.type)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func paint(_ text: String, for type: HistoryEventType) -> String {
        guard colour else { return text }
        let code: String
        switch type {
        case .stepCompleted, .workflowCompleted, .sleepCompleted, .waitCompleted: code = "32"
        case .attemptErrored, .stepErrored, .workflowErrored, .waitTimedOut: code = "31"
        case .workflowWaiting, .sleepStarted, .waitStarted: code = "33"
        default: code = "0"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
