// The seed's tenant workflow: one durable step.
import { WorkflowEntrypoint } from "cloudflare:workers";

export class TenantWorkflow extends WorkflowEntrypoint {
  async run(event, step) {
    return step.do("greet", async () => `Hello, ${event.payload.name}!`);
  }
}
