// A bare stand-in for Brigade's prelude, for the C harness (run.sh with PRELUDE=bare): step.do
// returns its value at once, with no host call, and start parses neither the event nor the env.
// It measures what JavaScriptCore needs for the tenant's ten awaits and the wait alone, as a
// floor under the real prelude's figure. Not what Brigade runs.
(function (host) {
  "use strict";
  let TenantWorkflow;
  const step = {
    do(name, fn) { return 3; },
    waitForEvent(name, options) { return host.waitForEvent(0, name, "", null); },
  };
  return {
    bind(exports) { TenantWorkflow = exports.TenantWorkflow; return null; },
    start(id, eventText, envText) {
      new TenantWorkflow().run({}, step).then(() => host.runSettled(id, true, "1"));
    },
  };
})(globalThis.__brigadeHost)
