import Foundation

extension Engine {
    /// Stores a log line in the history (lazily: it rides the next commit). Lines logged outside
    /// a step while `run` is still replaying finished steps were stored by an earlier lifetime
    /// and are dropped; so are lines past the per-lifetime limit, after one line saying so.
    func appendLog(_ level: LogLevel, _ message: String, step: String?) async {
        let admission = state.withLock { $0.admitLog(inStep: step != nil, maxLines: settings.maxLogLinesPerRun) }
        let now = clock.nowMilliseconds()
        let entry: HistoryEntry
        switch admission {
        case .drop:
            return
        case .store:
            entry = HistoryEntry(
                .log, at: now, step: step,
                data: ["level": .string(level.rawValue), "message": .string(message.cut(toUTF8Bytes: settings.maxLogLineBytes))])
        case .storeLimitNotice:
            entry = HistoryEntry(
                .log, at: now, step: step,
                data: [
                    "level": .string(LogLevel.warn.rawValue),
                    "message": .string(
                        "log limit reached: \(settings.maxLogLinesPerRun) lines in this run of the instance; later lines are dropped until it next resumes"),
                ])
        }
        // Losing a log line in a crash is acceptable; failing the workflow over one is not.
        try? await commit([], history: [entry], awaitCommit: false)
    }

    /// True while `run` is only re-reaching steps that finished in an earlier lifetime.
    var isReplaying: Bool {
        state.withLock { $0.replaying }
    }
}

/// The level of a logged line.
public enum LogLevel: String, Sendable, Hashable, Codable, CaseIterable {
    case debug, info, log, warn, error
}
