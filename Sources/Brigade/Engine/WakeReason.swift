/// Why a parked step branch woke up.
enum WakeReason: Sendable {
    /// Its deadline passed.
    case deadline
    /// An event of the awaited type was handed to it.
    case event(EventRecord)
    /// A pause was cancelled: the blocked step may proceed.
    case proceed
}
