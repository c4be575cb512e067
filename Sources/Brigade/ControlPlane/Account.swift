/// One tenant's control-plane record: its limits and the Gatekeeper of its concurrency slots.
final class Account: Sendable {
    let tenant: String
    let gatekeeper: Gatekeeper

    init(tenant: String, settings: BrigadeSettings) {
        self.tenant = tenant
        self.gatekeeper = Gatekeeper(capacity: settings.maxRunningPerAccount)
    }
}
