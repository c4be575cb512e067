/// The engine's decisions about requests from outside its branches (an event, a pause, its
/// cancellation, a stop, a fatal condition), as mutations of its state that return what the
/// engine then does outside the lock.
extension EngineState {
    /// What ``receive(_:)`` did with an event.
    enum Delivery: Equatable {
        /// Handed to the oldest branch waiting for its type (its ticket is settled).
        case delivered
        /// No branch waits for it: kept for the next wait of its type.
        case buffered
        /// Seen before (a notification and a claim both carried it): nothing changes.
        case duplicate
        /// The engine unwinds and will not see it: the caller wakes the instance again later.
        case refused
    }

    /// An event sent to the instance. The waiter's ticket is settled here, in the critical
    /// section that counts the waiter woken (see ``wake(_:)``).
    mutating func receive(_ event: EventRecord) -> Delivery {
        if isUnwinding { return .refused }
        if knownEvents.contains(event.seq) { return .duplicate }
        knownEvents.insert(event.seq)
        while var queue = waiters[event.type], let id = queue.first {
            queue.removeFirst()
            waiters[event.type] = queue.isEmpty ? nil : queue
            if let ticket = parked[id]?.ticket, ticket.settle(.success(.event(event))) {
                wake(id)
                return .delivered
            }
        }
        buffered[event.type, default: []].append(event)
        return .buffered
    }

    /// A pause request: true when it is (or already was) pending, and the engine writes
    /// `waitingForPause`; false when the engine is unwinding and the store must take it.
    mutating func requestPause() -> Bool {
        switch phase {
        case .running:
            phase = .pausing
            return true
        case .pausing:
            return true
        case .claiming, .hibernating, .paused, .stopping:
            return false
        }
    }

    /// Cancels a pending pause: the tickets of the step calls it blocked, to release outside the
    /// lock; nil when no pause is pending.
    mutating func cancelPause() -> [ParkTicket]? {
        guard phase == .pausing else { return nil }
        phase = .running
        return parked.values.filter { $0.deadline == nil }.map(\.ticket)
    }

    /// Stops the lifetime: every parked ticket, to fail outside the lock.
    mutating func stop() -> [ParkTicket] {
        stopRequested = true
        phase = .stopping
        return takeParkedTickets()
    }

    /// A fatal condition (the first one wins): every parked ticket, to fail with it outside the
    /// lock, so that `run` ends promptly.
    mutating func fail(_ error: BrigadeError) -> [ParkTicket] {
        if fatal == nil { fatal = error }
        return takeParkedTickets()
    }
}
