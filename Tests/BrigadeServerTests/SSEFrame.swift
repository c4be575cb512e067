import Brigade
import Foundation

/// One Server-Sent Events frame a stream sent: its `id:`, `event:` and `data:` (as JSON).
struct SSEFrame {
    var id: String
    var event: String
    var data: JSONValue

    /// The complete frames in a stream's text, as read from the router or off a socket (a
    /// chunked body's size lines end in \r\n, which Swift reads as one Character: made \n first).
    static func frames(in text: String) -> [SSEFrame] {
        text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n").compactMap { block in
            var id: String?
            var event: String?
            var data: JSONValue?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = try? JSONDecoder().decode(JSONValue.self, from: Data(line.dropFirst(6).utf8)) }
            }
            guard let id, let event, let data else { return nil }
            return SSEFrame(id: id, event: event, data: data)
        }
    }
}
