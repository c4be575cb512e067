import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Reads a Server-Sent Events response as it arrives (URLSession's delegate hands over each
/// chunk), and yields complete frames.
final class EventStreamReader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Frame: Sendable {
        var id: String?
        var event: String
        var data: String
    }

    // Touched only on the session's serial delegate queue.
    private var buffer = ""
    private let continuation: AsyncThrowingStream<Frame, any Error>.Continuation

    private init(continuation: AsyncThrowingStream<Frame, any Error>.Continuation) {
        self.continuation = continuation
    }

    static func frames(_ request: URLRequest) -> AsyncThrowingStream<Frame, any Error> {
        AsyncThrowingStream { continuation in
            let reader = EventStreamReader(continuation: continuation)
            let queue = OperationQueue()
            queue.maxConcurrentOperationCount = 1
            let session = URLSession(configuration: .default, delegate: reader, delegateQueue: queue)
            let task = session.dataTask(with: request)
            continuation.onTermination = { _ in
                task.cancel()
                session.invalidateAndCancel()
            }
            task.resume()
        }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        if status != 200 {
            continuation.finish(
                throwing: APIFailure(status: status, message: "the event stream could not be opened (wrong workflow, id or token?)"))
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        buffer += String(decoding: data, as: UTF8.self)
        while let end = buffer.range(of: "\n\n") {
            let block = buffer[buffer.startIndex..<end.lowerBound]
            buffer.removeSubrange(buffer.startIndex..<end.upperBound)
            var frame = Frame(id: nil, event: "message", data: "")
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { frame.id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { frame.event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { frame.data += String(line.dropFirst(6)) }
            }
            if !frame.data.isEmpty { continuation.yield(frame) }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error { continuation.finish(throwing: error) } else { continuation.finish() }
        session.finishTasksAndInvalidate()
    }
}
