import Foundation

/// A subscription to ``InstanceSignals`` that an iterator holds (``InstanceEvents``,
/// ``HistoryFeed``): given back when the iterator goes, and waited on in real time, whatever the
/// runtime's clock — a stream waits for the store, not for the workflow's time.
final class SignalLease: Sendable {
    let signals: InstanceSignals
    let subscription: InstanceSignals.Subscription

    init(_ signals: InstanceSignals, _ subscription: InstanceSignals.Subscription) {
        self.signals = signals
        self.subscription = subscription
    }

    deinit { signals.unsubscribe(subscription) }

    /// Whether a signal came (or was kept from before) within `timeout`.
    func wait(for timeout: Duration) async -> Bool {
        let clock = SystemClock()
        return await subscription.signal.wait(
            until: clock.now().addingTimeInterval(Double(timeout.wholeMilliseconds) / 1_000), clock: clock)
    }
}
