import Brigade
import Foundation

/// Measurements of this process and the machine, taken the way the peer harness takes them
/// (`drivers/common.py`, `orchestrate.py`).
enum ProcessMetrics {
    /// User + system CPU seconds of this process (the engine, as Brigade runs in-process).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Resident set size and proportional set size of this process, in MiB.
    static func memoryMiB() -> (rss: Double, pss: Double) {
        func kib(_ file: String, _ field: String) -> Double? {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
            for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
                return Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
            }
            return nil
        }
        let rss = kib("/proc/self/status", "VmRSS") ?? 0
        let pss = kib("/proc/self/smaps_rollup", "Pss") ?? rss
        return (rss / 1024, pss / 1024)
    }

    /// Where the resident memory is: anonymous (heap, stacks) vs file-backed (binary, libraries,
    /// SQLite's shared WAL index).
    static func memoryBreakdownMiB() -> [String: Double] {
        var fields: [String: Double] = [:]
        if let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard let key = parts.first, ["RssAnon:", "RssFile:", "RssShmem:"].contains(key), parts.count > 1 else { continue }
                fields[String(key.dropLast()).lowercased() + "_mib"] = round3((Double(parts[1]) ?? 0) / 1024)
            }
        }
        return fields
    }

    static func loadavg() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// 200 × (write 4 KiB + fsync) in `directory`: the disk's commit latency right now.
    static func fsyncProbe(in directory: String) -> JSONValue {
        let path = directory + "/fsync-probe-\(getpid())"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer {
            close(descriptor)
            unlink(path)
        }
        let block = [UInt8](repeating: 0x78, count: 4096)
        var samples: [Double] = []
        for _ in 0..<200 {
            _ = block.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            let start = ContinuousClock.now
            fsync(descriptor)
            samples.append(milliseconds(ContinuousClock.now - start))
        }
        return [
            "n": .number(Double(samples.count)), "p50_ms": .number(round3(percentile(samples, 50))),
            "p99_ms": .number(round3(percentile(samples, 99))), "mean_ms": .number(round3(samples.reduce(0, +) / Double(samples.count))),
        ]
    }

    /// Nearest-rank percentile: the ⌈p/100·n⌉-th smallest sample.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }

    static func round3(_ value: Double) -> Double { (value * 1_000).rounded() / 1_000 }
}
