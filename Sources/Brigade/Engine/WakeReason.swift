/// Why a parked step branch woke up.
enum WakeReason: Sendable {
    /// Its deadline passed.
    case deadline
    /// An event of the awaited type was handed to it.
    case event(EventRecord)
    /// A pause was cancelled: the blocked step may proceed.
    case proceed
}

/// A parked branch's rendezvous: settled once, by its deadline, an event, a pause change or an
/// unwind, whichever comes first (the engine's one one-shot primitive, ``OneShot``).
typealias ParkTicket = OneShot<Result<WakeReason, any Error>>
