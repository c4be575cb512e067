extension InstanceWrite {
    /// This write and then `later`, as one write with the same effect; nil when they cannot be
    /// one.
    ///
    /// A store that commits many writes at once may apply two writes of one instance as one
    /// (an attempt's start and its outcome are two writes a moment apart, usually in the same
    /// commit): half the statements on the step path. They join only when the result is exactly
    /// what applying them one after the other gives: the same instance, epoch and lease (one
    /// fence), at most one change of the instance row (two would need the rules of which field
    /// wins), and no event consumed by both (the second would have failed). Step records keep
    /// their order, and a store keeps the last record of a step; history entries keep theirs.
    @_spi(Stores) public func joined(with later: InstanceWrite) -> InstanceWrite? {
        guard later.seq == seq, later.epoch == epoch, later.lease == lease else { return nil }
        guard update == nil || later.update == nil else { return nil }
        guard Set(consumedEvents).isDisjoint(with: later.consumedEvents) else { return nil }
        guard notice == nil || later.notice == nil else { return nil }
        var joined = later
        joined.notice = notice ?? later.notice
        joined.steps = steps + later.steps
        joined.consumedEvents = consumedEvents + later.consumedEvents
        joined.history = history + later.history
        if var update {
            // A pause's time defaults to its write's time, not the later one's.
            if update.status == .paused && update.pausedAt == nil { update.pausedAt = now }
            joined.update = update
        }
        return joined
    }
}
