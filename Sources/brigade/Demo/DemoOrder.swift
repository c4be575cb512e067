import Brigade
import Foundation

/// The demo's workflow: an order that validates, charges a card through a flaky gateway (two
/// failed attempts, then success), reserves stock and notifies the warehouse in parallel, cools
/// off for a few seconds (long enough to hibernate), waits for a manager's approval event, and
/// ships.
struct DemoOrder: Workflow {
    static var name: String { "demo-order" }

    struct Params: Codable, Sendable {
        var item: String
        var quantity: Int

        init(item: String, quantity: Int) {
            self.item = item
            self.quantity = quantity
        }

        // Both fields optional on the wire, so `brigade trigger demo-order` with no params (as a
        // new user of `brigade serve` tries first) orders one espresso machine.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            item = try container.decodeIfPresent(String.self, forKey: .item) ?? "espresso machine"
            quantity = try container.decodeIfPresent(Int.self, forKey: .quantity) ?? 1
        }
    }

    struct Approval: Codable, Sendable {
        var approver: String
    }

    struct Receipt: Codable, Sendable {
        var totalCents: Int
        var charge: String
        var bin: String
        var approvedBy: String
        var tracking: String
    }

    struct GatewayTimeout: Error, CustomStringConvertible {
        var attempt: Int
        var description: String { "payment gateway timed out (simulated failure on attempt \(attempt))" }
    }

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Receipt {
        let total = try await step.do("validate order") { () -> Int in
            try await Task.sleep(for: .milliseconds(200))
            return event.payload.quantity * 1_999
        }
        let charge = try await step.do(
            "charge card",
            .init(retries: .init(limit: 3, delay: .seconds(1), backoff: .exponential), timeout: .seconds(30))
        ) { (context: StepContext) -> String in
            try await Task.sleep(for: .milliseconds(300))
            if context.attempt < 3 { throw GatewayTimeout(attempt: context.attempt) }
            return "ch_\(event.instanceId)"
        }
        async let reserved = step.do("reserve stock") { () -> String in
            try await Task.sleep(for: .milliseconds(600))
            return "bin A-12"
        }
        async let notified = step.do("notify warehouse") { () -> Bool in
            try await Task.sleep(for: .milliseconds(400))
            return true
        }
        let (bin, _) = try await (reserved, notified)
        try await step.sleep("cool-off period", for: .seconds(3))
        let approval = try await step.waitForEvent("manager approval", type: "approved", timeout: .minutes(10), as: Approval.self)
        let tracking = try await step.do("ship") { () -> String in
            try await Task.sleep(for: .milliseconds(200))
            return "TRK-\(event.instanceId.uppercased())"
        }
        return Receipt(totalCents: total, charge: charge, bin: bin, approvedBy: approval.payload.approver, tracking: tracking)
    }
}
