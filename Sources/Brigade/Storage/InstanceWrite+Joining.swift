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
    /// their order, the later record of a step in place of the earlier; history entries keep theirs.
    @_spi(Stores) public func joined(with later: InstanceWrite) -> InstanceWrite? {
        guard later.seq == seq, later.epoch == epoch, later.lease == lease else { return nil }
        guard update == nil || later.update == nil else { return nil }
        guard Set(consumedEvents).isDisjoint(with: later.consumedEvents) else { return nil }
        guard notice == nil || later.notice == nil else { return nil }
        var joined = later
        joined.notice = notice ?? later.notice
        joined.steps = StepRecord.lastOfEach(steps + later.steps)
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

extension StepRecord {
    /// `records` with one record per step (name and count): the last one, where the first stood.
    /// A write holds each step once, so that a store writes its row once.
    @_spi(Stores) public static func lastOfEach(_ records: [StepRecord]) -> [StepRecord] {
        guard records.count > 1 else { return records }
        var kept: [StepRecord] = []
        kept.reserveCapacity(records.count)
        for record in records {
            if let index = kept.firstIndex(where: { $0.name == record.name && $0.count == record.count }) {
                kept[index] = record
            } else {
                kept.append(record)
            }
        }
        return kept
    }
}
