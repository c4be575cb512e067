/// Identity of a step inside one instance: its name and the occurrence of that name.
struct StepIdentity: Hashable, Sendable {
    var name: String
    var count: Int
}
