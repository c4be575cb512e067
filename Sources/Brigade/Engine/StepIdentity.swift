/// Identity of a step inside one instance: its name and its count, which call of that name it is
/// (1-based; Cloudflare's `step.count`, the 2 of `fetch-2`). "Count" is the one word for it throughout.
///
/// A rollback (``StepKind/rollback``) is recorded under its forward step's name with the count
/// negated: `charge-2`'s rollback is (`charge`, -2). The journal's key stays (name, count), unique
/// without a column more, and no step a workflow writes can take it (its counts start at 1).
struct StepIdentity: Hashable, Sendable {
    var name: String
    var count: Int

    /// The identity of the rollback of this `step.do`.
    var rollback: StepIdentity { StepIdentity(name: name, count: -count) }
}
