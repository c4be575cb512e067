// A tenant workflow in TypeScript that uses every step primitive. Deploy it, trigger it, then
// send it the event it waits for:
//   brigade deploy examples/signup.ts --workflow signup --env '{"PLAN":"pro"}'
//   brigade trigger signup '{"email":"ada@example.com"}' --id ada
//   brigade instances send-event signup ada --type confirmed --payload '{"by":"ada"}'
//   brigade instances watch signup ada
import { WorkflowEntrypoint, NonRetryableError } from "cloudflare:workers";

type Params = { email: string };
type Env = { PLAN?: string };

export class TenantWorkflow extends WorkflowEntrypoint<Env, Params> {
  async run(event: { payload: Params; instanceId: string }, step: any) {
    const email = event.payload?.email;
    if (!email || !email.includes("@")) {
      throw new NonRetryableError(`"${email}" is not an email address`);
    }
    console.log(`signing up ${email} on ${this.env.PLAN ?? "free"}`);

    // Retried with back-off until it succeeds; its result is journaled.
    const account = await step.do(
      "create account",
      { retries: { limit: 3, delay: "1 second", backoff: "exponential" }, timeout: "30 seconds" },
      async () => ({ id: `acct-${event.instanceId}`, plan: this.env.PLAN ?? "free" }),
    );

    // Two steps in parallel.
    const [mailbox, invoice] = await Promise.all([
      step.do("create mailbox", async () => `${account.id}@mail`),
      step.do("open invoice", async () => ({ account: account.id, amount: account.plan === "pro" ? 20 : 0 })),
    ]);

    // The instance hibernates while it waits; nothing of it stays in memory.
    const confirmation = await step.waitForEvent("confirmation", { type: "confirmed", timeout: "1 day" });
    await step.sleep("grace period", "2 seconds");

    return step.do("welcome", async () => ({ mailbox, invoice, confirmedBy: confirmation.payload.by }));
  }
}
