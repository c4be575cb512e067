import Foundation

/// Where the lines of a compiled tenant script came from in the uploaded module, read from the
/// source map esbuild appends to the script at upload (`--sourcemap=inline`).
///
/// Tenant code runs as esbuild's output: an IIFE with helpers at the top and, for TypeScript,
/// the types stripped — so JavaScriptCore's line numbers are not the tenant's. This maps them
/// back, for the errors and stack traces a tenant reads: a throw while loading, the stack of an
/// error that failed a step or `run`, an error passed to `console`. Versions deployed before
/// scripts carried a map have none, and keep the compiled positions.
struct SourceMap: Sendable {
    /// The uploaded module's name in the map (`tenant.ts` or `tenant.js`).
    let sourceName: String
    /// Per generated line (from 0): segments sorted by generated column.
    private let lines: [[Segment]]

    private struct Segment: Sendable {
        var generatedColumn: Int
        var sourceLine: Int
        var sourceColumn: Int
    }

    /// The URL the compiled script is evaluated under; stack frames name it. Not the uploaded
    /// module's name, so that a position left unmapped never passes for one in the tenant's file.
    static let scriptURL = "tenant-compiled.js"
    /// The URL the prelude is evaluated under; its frames are the host's, not the tenant's.
    static let preludeURL = "brigade-prelude.js"
    private static let marker = "\n//# sourceMappingURL=data:application/json;base64,"

    /// The map at the end of `script`; nil when there is none or it does not decode.
    init?(script: String) {
        guard let range = script.range(of: Self.marker, options: .backwards) else { return nil }
        let encoded = script[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        struct Document: Decodable {
            var sources: [String]
            var mappings: String
        }
        guard let data = Data(base64Encoded: encoded), let document = try? JSONDecoder().decode(Document.self, from: data),
            let lines = Self.decode(document.mappings)
        else { return nil }
        sourceName = document.sources.first ?? "tenant"
        self.lines = lines
    }

    /// The position in the uploaded module of a position in the compiled script (both 1-based,
    /// as JavaScriptCore reports them); nil where the compiled code has no origin (esbuild's helpers).
    func original(line: Int, column: Int) -> (line: Int, column: Int)? {
        guard line >= 1, line <= lines.count else { return nil }
        let segments = lines[line - 1]
        // The last segment that starts at or before the column covers it.
        var low = 0
        var high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].generatedColumn <= column - 1 { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return segments.first.map { ($0.sourceLine + 1, $0.sourceColumn + 1) } }
        let segment = segments[low - 1]
        return (segment.sourceLine + 1, segment.sourceColumn + 1)
    }

    /// `text` (a stack trace, or a logged line holding one) with every `tenant-compiled.js:LINE:COLUMN`
    /// replaced by its place in the uploaded module, and the prelude's frames left out.
    func translate(_ text: String) -> String {
        Self.translate(text) { self }
    }

    /// The same with the map `map` gives, asked only when `text` names a position at all (a
    /// runner reads its map the first time it needs it); without one, only the prelude's frames
    /// are left out.
    static func translate(_ text: String, map: () -> SourceMap?) -> String {
        guard text.contains(scriptURL) || text.contains(preludeURL) else { return text }
        let map = map()
        let place = { (line: Int, column: Int) -> String? in
            guard let map, let original = map.original(line: line, column: column) else { return nil }
            return "\(map.sourceName):\(original.line):\(original.column)"
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains(preludeURL) }
        return lines.map { line -> String in
            var output = ""
            var rest = Substring(line)
            while let found = rest.range(of: "\(scriptURL):") {
                output += rest[..<found.lowerBound]
                let digits = rest[found.upperBound...]
                let lineText = digits.prefix { $0.isASCII && $0.isNumber }
                let afterLine = digits.dropFirst(lineText.count)
                let columnText = afterLine.first == ":" ? afterLine.dropFirst().prefix { $0.isASCII && $0.isNumber } : ""
                if let number = Int(lineText), let column = Int(columnText), let mapped = place(number, column) {
                    output += mapped
                    rest = afterLine.dropFirst(1 + columnText.count)
                } else {
                    output += rest[found]
                    rest = digits
                }
            }
            return output + rest
        }.joined(separator: "\n")
    }

    // MARK: Decoding

    /// Decodes the `mappings` field: lines separated by `;`, segments by `,`, each segment 1, 4
    /// or 5 base64 VLQ numbers relative to the previous segment (the generated column restarts
    /// on every line). Segments without a source (1 number) are skipped.
    private static func decode(_ mappings: String) -> [[Segment]]? {
        var lines: [[Segment]] = [[]]
        var sourceLine = 0
        var sourceColumn = 0
        var generatedColumn = 0
        var fields: [Int] = []
        var value = 0
        var shift = 0
        func endSegment() -> Bool {
            guard shift == 0 else { return false }
            defer { fields.removeAll(keepingCapacity: true) }
            guard !fields.isEmpty else { return true }
            generatedColumn += fields[0]
            guard fields.count >= 4 else { return fields.count == 1 }
            // fields[1] is the source index: a transformed module has one source.
            sourceLine += fields[2]
            sourceColumn += fields[3]
            guard generatedColumn >= 0, sourceLine >= 0, sourceColumn >= 0 else { return false }
            lines[lines.count - 1].append(Segment(generatedColumn: generatedColumn, sourceLine: sourceLine, sourceColumn: sourceColumn))
            return true
        }
        for byte in mappings.utf8 {
            switch byte {
            case UInt8(ascii: ","):
                guard endSegment() else { return nil }
            case UInt8(ascii: ";"):
                guard endSegment() else { return nil }
                lines.append([])
                generatedColumn = 0
            default:
                guard let digit = base64Digit(byte), shift <= 60 else { return nil }
                value |= (digit & 31) << shift
                if digit & 32 != 0 {
                    shift += 5
                } else {
                    // The lowest bit is the sign.
                    fields.append(value & 1 == 1 ? -(value >> 1) : value >> 1)
                    value = 0
                    shift = 0
                }
            }
        }
        guard endSegment() else { return nil }
        for index in lines.indices { lines[index].sort { $0.generatedColumn < $1.generatedColumn } }
        return lines
    }

    private static func base64Digit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
