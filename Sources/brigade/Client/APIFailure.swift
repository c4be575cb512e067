/// A failed API call, with the server's `(code) message`.
struct APIFailure: Error, CustomStringConvertible {
    var status: Int
    var message: String
    var description: String { "HTTP \(status): \(message)" }
}
