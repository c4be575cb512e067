// The bare prelude (bare-prelude.js) plus the least a step the host answers needs: one host call
// per step and a promise of its value (run.sh with PRELUDE=bare-host). What separates it from
// bare-prelude.js is the cost of asking the host; what separates Brigade's prelude from it is
// the seed's programming model (argument checks, the event and env, a step object per run).
// Not what Brigade runs.
(function (host) {
  "use strict";
  let TenantWorkflow;
  const step = {
    do(name, fn) { return Promise.resolve(host.stepDo(0, String(name), null, fn)); },
    waitForEvent(name, options) { return host.waitForEvent(0, name, "", null); },
  };
  return {
    bind(exports) { TenantWorkflow = exports.TenantWorkflow; return null; },
    start(id, eventText, envText) {
      new TenantWorkflow().run({}, step).then(() => host.runSettled(id, true, "1"));
    },
  };
})(globalThis.__brigadeHost)
