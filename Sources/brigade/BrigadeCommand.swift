import ArgumentParser

@main
struct BrigadeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brigade",
        abstract: "Durable execution for Swift: workflows that survive crashes, sleep for days and wait for events.",
        subcommands: [
            ServeCommand.self, DeployCommand.self, WorkflowsCommand.self, TriggerCommand.self, InstancesCommand.self, TenantsCommand.self, DemoCommand.self,
            TestCommand.self, ClusterCommand.self, MCPCommand.self, CrashProbeCommand.self,
        ],
        defaultSubcommand: nil
    )
}
