import Foundation

/// How an instance came to be: Cloudflare's `trigger.source`, and for an instance a cron
/// schedule created, which firing it is (the `schedule` of its event).
public struct InstanceTrigger: Sendable, Hashable {
    /// What created the instance.
    public enum Source: String, Sendable, Hashable, CaseIterable {
        /// The REST API, the CLI or a ``WorkflowClient`` call.
        case api
        /// A binding from workflow code: a tenant module's `env.WORKFLOWS`.
        case binding
        /// An event delivered to the workflow (reserved: nothing here creates one yet).
        case event
        /// A cron schedule of the workflow.
        case cron
    }

    public var source: Source
    /// For `cron`: the schedule and the firing.
    public var schedule: CronFiring?
    /// For a child workflow: the instance whose step started it, told when it finishes.
    public var parent: ParentLink?

    public init(source: Source, schedule: CronFiring? = nil, parent: ParentLink? = nil) {
        self.source = source
        self.schedule = schedule
        self.parent = parent
    }

    /// Created through the API.
    public static let api = InstanceTrigger(source: .api)
}

/// The instance that started a child workflow from one of its steps (same tenant).
public struct ParentLink: Sendable, Hashable {
    /// The parent's workflow.
    public var workflow: String
    /// The parent's instance id.
    public var id: String
    /// The parent's step that waits for the child, with its count (`build-1`).
    public var step: String

    public init(workflow: String, id: String, step: String) {
        self.workflow = workflow
        self.id = id
        self.step = step
    }
}

/// One firing of a cron schedule: Cloudflare's `event.schedule`.
public struct CronFiring: Sendable, Hashable {
    /// The cron expression as the schedule was written.
    public var cron: String
    /// When the firing was due (a whole UTC minute), in milliseconds since 1970; an instance
    /// created late (after a downtime) still carries the time it was due.
    public var scheduledTime: Int64

    public init(cron: String, scheduledTime: Int64) {
        self.cron = cron
        self.scheduledTime = scheduledTime
    }

    /// ``scheduledTime`` as a date.
    public var scheduledDate: Date { Date(millisecondsSince1970: scheduledTime) }
}

extension InstanceTrigger {
    /// The stored form, a JSON object; nil for a plain API creation (most instances store none).
    @_spi(Stores) public var storedJSON: String? {
        guard self != .api else { return nil }
        var object: [String: JSONValue] = ["source": .string(source.rawValue)]
        if let schedule = scheduleJSON { object["schedule"] = schedule }
        if let parent { object["parent"] = parent.json }
        return String(decoding: JSONValue.object(object).jsonData(), as: UTF8.self)
    }

    /// Reads the stored form; `.api` for nil or anything unreadable (a trigger is description,
    /// never a reason to fail an instance).
    @_spi(Stores) public init(storedJSON: String?) {
        guard let storedJSON, case .object(let object)? = try? JSONCoding.decode(JSONValue.self, from: Data(storedJSON.utf8)),
            case .string(let sourceText)? = object["source"], let source = Source(rawValue: sourceText)
        else {
            self = .api
            return
        }
        var schedule: CronFiring?
        if case .object(let fields)? = object["schedule"], case .string(let cron)? = fields["cron"],
            case .number(let time)? = fields["scheduledTime"]
        {
            schedule = CronFiring(cron: cron, scheduledTime: Int64(time))
        }
        var parent: ParentLink?
        if case .object(let fields)? = object["parent"], case .string(let workflow)? = fields["workflow"],
            case .string(let id)? = fields["id"], case .string(let step)? = fields["step"]
        {
            parent = ParentLink(workflow: workflow, id: id, step: step)
        }
        self.init(source: source, schedule: schedule, parent: parent)
    }

    /// The JSON of the wire: `{workflow, id, step}`.
    public var parentJSON: JSONValue? { parent?.json }

    /// The JSON of the wire (`trigger` of describe; the `schedule` of an event).
    public var scheduleJSON: JSONValue? {
        schedule.map { .object(["cron": .string($0.cron), "scheduledTime": .number(Double($0.scheduledTime))]) }
    }
}

extension ParentLink {
    var json: JSONValue { .object(["workflow": .string(workflow), "id": .string(id), "step": .string(step)]) }
}
