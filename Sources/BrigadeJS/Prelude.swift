/// The JavaScript evaluated in every tenant context before the tenant's code.
///
/// It gives tenant code the seed's programming model — `WorkflowEntrypoint`, `NonRetryableError`,
/// `cloudflare:workers` / `cloudflare:workflows` imports, `console` — and a `step` object whose
/// every method is one call into the host, where the engine's real `WorkflowStep` runs it.
/// Nothing about replay, retries or durability is decided here: this file only marshals.
///
/// The host functions are captured by this closure and removed from the global object, so tenant
/// code cannot call them with forged invocation ids. The value of the script is the control
/// object the host keeps (`start`, `callFn`, `makeError`, `bind`).
enum Prelude {
    static let source = #"""
    (function (host) {
      "use strict";
      delete globalThis.__brigadeHost;
      // Tenant code gets no WebAssembly: its CPU time could not be bounded the same way.
      delete globalThis.WebAssembly;

      class NonRetryableError extends Error {
        constructor(message, name) {
          super(message);
          this.name = name === undefined ? "NonRetryableError" : String(name);
        }
      }
      class WorkflowEntrypoint {
        constructor(ctx, env) {
          this.ctx = ctx;
          this.env = env;
        }
      }
      const modules = {
        "cloudflare:workers": Object.freeze({ WorkflowEntrypoint, NonRetryableError }),
        "cloudflare:workflows": Object.freeze({ NonRetryableError }),
      };
      function require(name) {
        const found = modules[name];
        if (found === undefined) {
          const error = new Error(`Cannot import "${name}": tenant code is a single module, and only cloudflare:workers and cloudflare:workflows can be imported`);
          // The host reports a refused import at its line in the uploaded source.
          error.refusedImport = String(name);
          throw error;
        }
        return found;
      }

      function describe(value) {
        if (typeof value === "string") return value;
        if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}` : `${value.name}: ${value.message}`;
        // JSON, as a log line shows an object, but with what JSON cannot carry spelled out
        // instead of the whole value falling back to "[object Object]": a reference back to an
        // object being written as "[Circular]" (an object met twice side by side is written
        // twice), a BigInt as 10n.
        const ancestors = [];
        function readable(key, item) {
          if (typeof item === "bigint") return `${item}n`;
          if (item === null || typeof item !== "object") return item;
          // `this` is the object holding `item`: drop the ancestors whose members are all written.
          while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
          if (ancestors.includes(item)) return "[Circular]";
          ancestors.push(item);
          return item;
        }
        try {
          const text = JSON.stringify(value, readable);
          return text === undefined ? String(value) : text;
        } catch (e) {
          return String(value);
        }
      }
      const console = {};
      for (const level of ["debug", "info", "log", "warn", "error"]) {
        console[level] = (...args) => { host.log(level, args.map(describe).join(" ")); };
      }

      function errorJSON(error) {
        const isError = error instanceof Error;
        const name = isError ? error.name : (error !== null && typeof error === "object" && error.name !== undefined ? String(error.name) : "Error");
        const message = isError ? error.message : (error !== null && typeof error === "object" && error.message !== undefined ? error.message : describe(error));
        return JSON.stringify({
          name: String(name),
          message: String(message),
          stack: isError && error.stack ? String(error.stack) : undefined,
          nonRetryable: error instanceof NonRetryableError || name === "NonRetryableError",
        });
      }
      function serialize(value) {
        const text = JSON.stringify(value);
        return text === undefined ? "null" : text;
      }
      // Waits for what run or a step's function returned (a value, a promise, or a throw turned
      // into a rejection by the caller) and reports it as JSON; `notJSON` makes the error for a
      // value JSON cannot carry.
      function report(result, settled, notJSON) {
        Promise.resolve(result).then(
          (value) => {
            let text;
            try { text = serialize(value); } catch (e) {
              settled(false, errorJSON(notJSON(e)));
              return;
            }
            settled(true, text);
          },
          (error) => { settled(false, errorJSON(error)); });
      }
      function durationArgument(duration) {
        return typeof duration === "number" ? duration : String(duration);
      }

      let TenantWorkflow = undefined;
      // A step the journal answers comes back from the host as its value, a step still to run as
      // a promise: Promise.resolve makes the first a settled promise and returns the second as
      // it is, so the tenant always gets a promise, with the same ticks as before. Captured now,
      // before tenant code can replace it.
      const settledWith = Promise.resolve.bind(Promise);

      // What JSON cannot carry in a step's config, spelled so that the host can answer it instead
      // of the value vanishing: a function (a dynamic delay) and Infinity (unlimited retries).
      function configValue(key, value) {
        if (typeof value === "function") return { $function: true };
        if (value === Infinity) return "Infinity";
        return value;
      }

      function makeStep(id) {
        return Object.freeze({
          do(name, second, third) {
            const fn = typeof second === "function" ? second : third;
            if (typeof fn !== "function") {
              return Promise.reject(new TypeError(`step.do("${name}"): pass the step's function as the last argument`));
            }
            const config = typeof second === "function" ? undefined : second;
            // The host keeps fn only while the step can still call it (never for a step the
            // journal answers), so nothing here tracks it.
            return settledWith(host.stepDo(id, String(name), config === undefined || config === null ? null : JSON.stringify(config, configValue), fn));
          },
          sleep(name, duration) {
            return settledWith(host.sleep(id, String(name), durationArgument(duration)));
          },
          sleepUntil(name, timestamp) {
            const ms = timestamp instanceof Date ? timestamp.getTime() : typeof timestamp === "number" ? timestamp : Date.parse(String(timestamp));
            return settledWith(host.sleepUntil(id, String(name), ms));
          },
          waitForEvent(name, options) {
            const o = options === undefined || options === null ? {} : options;
            const timeout = o.timeout === undefined || o.timeout === null ? null : durationArgument(o.timeout);
            // The host answers { type, payload, timestamp: Date } itself.
            return settledWith(host.waitForEvent(id, String(name), o.type === undefined ? "" : String(o.type), timeout));
          },
        });
      }

      globalThis.require = require;
      globalThis.console = console;
      globalThis.WorkflowEntrypoint = WorkflowEntrypoint;
      globalThis.NonRetryableError = NonRetryableError;

      return Object.freeze({
        // Called once after the tenant's script ran: finds its TenantWorkflow class.
        bind(exports) {
          const found = exports === undefined || exports === null ? undefined : exports.TenantWorkflow;
          if (typeof found !== "function") {
            const names = exports === undefined || exports === null ? [] : Object.keys(exports);
            return `the module does not export a class named TenantWorkflow (its exports: ${names.length ? names.join(", ") : "none"}); declare \`export class TenantWorkflow { async run(event, step) { … } }\``;
          }
          if (typeof found.prototype.run !== "function") {
            return "class TenantWorkflow has no run(event, step) method";
          }
          TenantWorkflow = found;
          return null;
        },
        start(id, eventText, envText) {
          const raw = JSON.parse(eventText);
          const event = Object.freeze({
            payload: raw.payload, timestamp: new Date(raw.timestamp), instanceId: raw.instanceId, workflowName: raw.workflowName,
          });
          const env = JSON.parse(envText);
          const step = makeStep(id);
          // No microtask before run: a throwing constructor is caught here instead.
          let result;
          try {
            const workflow = new TenantWorkflow({}, env);
            if (workflow.env === undefined) workflow.env = env;
            result = workflow.run(event, step);
          } catch (error) {
            result = Promise.reject(error);
          }
          report(result, (ok, text) => host.runSettled(id, ok, text),
            (e) => new TypeError(`run returned a value that is not JSON: ${e.message}`));
        },
        callFn(id, fn, callId, contextText) {
          if (typeof fn !== "function") {
            host.fnSettled(id, callId, false, errorJSON(new Error("the step's function is no longer available")));
            return;
          }
          let result;
          try {
            result = fn(JSON.parse(contextText));
          } catch (error) {
            result = Promise.reject(error);
          }
          report(result, (ok, text) => host.fnSettled(id, callId, ok, text),
            (e) => new NonRetryableError(`the step returned a value that is not JSON: ${e.message}`, "TypeError"));
        },
        makeError(name, message, nonRetryable) {
          const error = nonRetryable ? new NonRetryableError(message, name) : new Error(message);
          error.name = name;
          return error;
        },
      });
    })(globalThis.__brigadeHost)
    """#
}
