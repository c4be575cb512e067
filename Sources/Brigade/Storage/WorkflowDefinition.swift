import Foundation

/// A tenant's own workflow (Cloudflare's `PUT …/workflows/{name}`): a name bound to a class of a
/// script, and defaults for the instances created under it.
///
/// The script `brigade` is the program hosting the runtime: its classes are the workflows it
/// registered. A tenant can bind its own names to them (`billing` → class `demo-order`) and
/// give them their own retention and step limit.
public struct WorkflowDefinition: Sendable, Hashable {
    /// The script that holds the workflows registered in Swift by the hosting program.
    public static let hostScript = "brigade"

    public var tenant: String
    public var name: String
    public var className: String
    public var scriptName: String
    /// Used for instances created without their own `instance_retention`.
    public var retention: Retention?
    /// `limits.steps`: the step limit of instances created under this definition.
    public var stepLimit: Int?
    /// For a tenant's deployed code (a dynamic workflow): the version new instances run.
    public var codeVersion: Int?
    public var createdAt: Int64
    public var modifiedAt: Int64

    public init(
        tenant: String, name: String, className: String, scriptName: String = WorkflowDefinition.hostScript,
        retention: Retention? = nil, stepLimit: Int? = nil, codeVersion: Int? = nil, createdAt: Int64, modifiedAt: Int64
    ) {
        self.codeVersion = codeVersion
        self.tenant = tenant
        self.name = name
        self.className = className
        self.scriptName = scriptName
        self.retention = retention
        self.stepLimit = stepLimit
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
    }
}

extension BrigadeError.Code {
    public static let workflowClassNotFound = Self(rawValue: "workflow.class_not_found")
    public static let workflowScriptNotFound = Self(rawValue: "workflow.script_not_found")
    public static let workflowCannotDelete = Self(rawValue: "workflow.cannot_delete")
    public static let workflowHasInstances = Self(rawValue: "workflow.has_instances")
    /// The name is bound to something else (a Swift workflow, or a definition of another class).
    public static let workflowNameTaken = Self(rawValue: "workflow.name_taken")
}
