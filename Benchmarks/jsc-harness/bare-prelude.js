// A bare stand-in for Brigade's prelude, for the C harness (run.sh with PRELUDE=bare): step.do
// returns its value at once, with no host call, and start parses neither the event nor the env.
// It measures what JavaScriptCore needs for the tenant's ten awaits and the wait alone, as a
// floor under the real prelude's figure. Not what Brigade runs.
//
// With PRELUDE=bare-host (the harness then sets host.hostCalls) each step asks the host and gets
// a promise of its answer: the least a step the journal answers can cost. What separates the two
// is the cost of asking the host; what separates Brigade's prelude from the second is the seed's
// programming model (argument checks, the event and env, a step object per run).
(function (host) {
  "use strict";
  let TenantWorkflow;
  const step = host.hostCalls
    ? { do(name, fn) { return Promise.resolve(host.stepDo(0, String(name), null, fn)); } }
    : { do(name, fn) { return 3; } };
  step.waitForEvent = function (name, options) { return host.waitForEvent(0, name, "", null); };
  return {
    bind(exports) { TenantWorkflow = exports.TenantWorkflow; return null; },
    start(id, eventText, envText) {
      new TenantWorkflow().run({}, step).then(() => host.runSettled(id, true, "1"));
    },
  };
})(globalThis.__brigadeHost)
