/// Tenant JavaScript for the benchmarks.
enum BenchScripts {
    /// Ten steps then a wait for `go` (the shape of ``BenchWaiter``); `salt` makes each
    /// tenant's code distinct.
    static func waiter(salt: Int) -> String {
        """
        export class TenantWorkflow {
          async run(event, step) {
            const salt = \(salt);
            let total = 0;
            for (let i = 0; i < 10; i++) total += await step.do(`step ${i}`, async () => i);
            await step.waitForEvent('go', { type: 'go', timeout: '1 hour' });
            return total + salt * 0;
          }
        }
        """
    }

    /// W1's workflow in JavaScript: K sequential steps each returning {i}.
    static let steps = """
        export class TenantWorkflow {
          async run(event, step) {
            const k = event.payload.k;
            for (let i = 0; i < k; i++) await step.do(`step ${i}`, async () => ({ i }));
            return k;
          }
        }
        """

    /// A compiled (IIFE) module with distinct code, for booting many tenants without esbuild.
    static func compiledWaiter(salt: Int) -> String {
        "var __tenant = (() => { class TenantWorkflow { async run(event, step) { const salt = \(salt); "
            + "let total = 0; for (let i = 0; i < 10; i++) total += await step.do(`step ${i}`, async () => i + salt * 0); "
            + "return total; } } return { TenantWorkflow }; })();"
    }
}
