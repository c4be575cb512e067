import BrigadeTesting
import Foundation
import Testing

@_spi(Stores) @testable import Brigade

/// A workflow the cluster's schedule fires.
struct Tick: Workflow {
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> Int { 1 }
}

/// Two nodes on one store that both see a schedule due create one instance for the firing, on
/// every store Brigade ships.
@Suite struct ScheduleClusterTests {
    @Test(arguments: StoreKind.available)
    func twoNodesFiringTogetherCreateOneInstance(_ kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.makeStore()
        let clock = ManualClock()
        let nodes = (0..<2).map { _ in BrigadeRuntime(store: store, clock: clock) }
        do {
            for node in nodes { try node.register(Tick()) }
            try await nodes[0].putWorkflow(name: Tick.name, className: Tick.name, schedules: ["* * * * *"])
            for round in 1...3 {
                clock.advance(by: .minutes(1))
                // Each node fires twice, all four at once.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for node in nodes + nodes { group.addTask { try await node.fireDueSchedules() } }
                    try await group.waitForAll()
                }
                let rows = try await nodes[1].listInstances(workflow: Tick.name, InstanceQuery(limit: 100)).instances
                #expect(rows.count == round, "\(kind) round \(round): one instance per firing, not \(rows.count)")
                #expect(Set(rows.compactMap(\.trigger.schedule?.scheduledTime)).count == round)
            }
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }
}
