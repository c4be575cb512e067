/// Identity of a step inside one instance: its name and its count, which call of that name it is
/// (1-based; Cloudflare's `step.count`, the 2 of `fetch-2`). "Count" is the one word for it throughout.
struct StepIdentity: Hashable, Sendable {
    var name: String
    var count: Int
}
