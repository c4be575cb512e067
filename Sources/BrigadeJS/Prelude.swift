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

      // Saga rollbacks (contract §1.12) are kept here, per invocation: each step.do that passes
      // { rollback } registers it as it is called — replayed or not — and when run rejects they
      // run last-registered first, each one durable pseudo-step of the host's. A rollback's
      // identity is its step's name and count, counted here in call order over every step call
      // of that name, as the engine counts them.
      const duringRollback = "Cannot execute steps during rollback phase";
      function makeStep(id) {
        const saga = { counts: new Map(), registered: [], rollingBack: false, terminating: false };
        function count(name) {
          const next = (saga.counts.get(name) || 0) + 1;
          saga.counts.set(name, next);
          return next;
        }
        const step = Object.freeze({
          do(name, second, third, fourth) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            const fn = typeof second === "function" ? second : third;
            if (typeof fn !== "function") {
              return Promise.reject(new TypeError(`step.do("${name}"): pass the step's function as the last argument, or before the rollback options`));
            }
            const config = typeof second === "function" ? undefined : second;
            const options = typeof second === "function" ? third : fourth;
            let rollback;
            if (options !== undefined && options !== null) {
              if (typeof options !== "object" || typeof options.rollback !== "function") {
                return Promise.reject(new TypeError(`step.do("${name}"): the options after the step's function are { rollback: async ({ ctx, error, output, stepName }) => …, rollbackConfig? }`));
              }
              const unknown = Object.keys(options).find((key) => key !== "rollback" && key !== "rollbackConfig");
              if (unknown !== undefined) {
                return Promise.reject(new TypeError(`step.do("${name}"): unknown option ${String(unknown).slice(0, 40)}; the options after the step's function take rollback and rollbackConfig`));
              }
              const rollbackConfig = options.rollbackConfig;
              rollback = {
                name: String(name), handler: options.rollback, output: undefined,
                config: rollbackConfig === undefined || rollbackConfig === null ? null : JSON.stringify(rollbackConfig, configValue),
              };
            }
            const stepName = String(name);
            const stepCount = count(stepName);
            // The host keeps fn only while the step can still call it (never for a step the
            // journal answers), so nothing here tracks it.
            // A dynamic retry delay stays here, called by the host after a failed attempt.
            const delay = config !== null && typeof config === "object" && config.retries !== null && typeof config.retries === "object"
              && typeof config.retries.delay === "function" ? config.retries.delay : undefined;
            const promise = settledWith(host.stepDo(id, stepName, config === undefined || config === null ? null : JSON.stringify(config, configValue), fn, delay));
            if (rollback !== undefined) {
              rollback.count = stepCount;
              saga.registered.push(rollback);
              promise.then((value) => { rollback.output = value; }, () => {});
            }
            return promise;
          },
          sleep(name, duration) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            count(String(name));
            return settledWith(host.sleep(id, String(name), durationArgument(duration)));
          },
          sleepUntil(name, timestamp) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            count(String(name));
            const ms = timestamp instanceof Date ? timestamp.getTime() : typeof timestamp === "number" ? timestamp : Date.parse(String(timestamp));
            return settledWith(host.sleepUntil(id, String(name), ms));
          },
          waitForEvent(name, options) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            count(String(name));
            const o = options === undefined || options === null ? {} : options;
            const timeout = o.timeout === undefined || o.timeout === null ? null : durationArgument(o.timeout);
            // The host answers { type, payload, timestamp: Date } itself.
            return settledWith(host.waitForEvent(id, String(name), o.type === undefined ? "" : String(o.type), timeout));
          },
          // Brigade's own: starts an instance of another of the tenant's workflows and waits for
          // it durably; resolves with its output, rejects with a ChildWorkflowError.
          child(name, options) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            if (options === null || typeof options !== "object" || typeof options.workflow !== "string") {
              return Promise.reject(new TypeError(`step.child("${String(name).slice(0, 80)}"): pass { workflow: "<one of your workflows>", params?, timeout? }`));
            }
            const unknown = Object.keys(options).find((key) => key !== "workflow" && key !== "params" && key !== "timeout");
            if (unknown !== undefined) {
              return Promise.reject(new TypeError(`step.child("${String(name).slice(0, 80)}"): unknown option ${String(unknown).slice(0, 40)}; it takes workflow, params and timeout`));
            }
            let params;
            try { params = serialize(options.params === undefined ? {} : options.params); } catch (e) {
              return Promise.reject(new TypeError(`step.child("${String(name).slice(0, 80)}"): params must be JSON: ${e && e.message}`));
            }
            count(String(name));
            const timeout = options.timeout === undefined || options.timeout === null ? null : durationArgument(options.timeout);
            return settledWith(host.child(id, String(name), options.workflow, params, timeout));
          },
        });
        // Runs the registered rollbacks, last first, after run rejected with `error` (or a
        // terminate stopped it); stops at the first that fails for good (the host recorded it).
        // Resolves either way; the chain runs once, whoever asks for it again.
        function rollBack(error) {
          if (saga.chain === undefined) saga.chain = runChain(error);
          return saga.chain;
        }
        async function runChain(error) {
          saga.rollingBack = true;
          for (let i = saga.registered.length - 1; i >= 0; i--) {
            const r = saga.registered[i];
            try {
              await host.rollback(id, r.name, r.count, r.config,
                (ctx) => r.handler({ ctx, error, output: r.output, stepName: r.name }));
            } catch (e) {
              return;
            }
          }
        }
        saga.rollBack = rollBack;
        return { step, saga };
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
          const fields = {
            payload: raw.payload, timestamp: new Date(raw.timestamp), instanceId: raw.instanceId, workflowName: raw.workflowName,
          };
          // Present only on an instance a cron schedule created, as on Cloudflare.
          if (raw.schedule) fields.schedule = Object.freeze(raw.schedule);
          const event = Object.freeze(fields);
          const env = JSON.parse(envText);
          const { step, saga } = makeStep(id);
          // No microtask before run: a throwing constructor is caught here instead.
          let result;
          try {
            const workflow = new TenantWorkflow({}, env);
            if (workflow.env === undefined) workflow.env = env;
            result = workflow.run(event, step);
          } catch (error) {
            result = Promise.reject(error);
          }
          // A run that rejects rolls back what its steps registered, then rejects as it did.
          result = Promise.resolve(result).catch(async (error) => {
            await saga.rollBack(error);
            throw error;
          });
          report(result, (ok, text) => host.runSettled(id, ok, text),
            (e) => new TypeError(`run returned a value that is not JSON: ${e.message}`));
          // The host keeps it for a terminate with rollback (control.terminate).
          return saga;
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
        // A terminate with rollback stopped run at a step it had not finished: run the chain,
        // then end run with the termination (whatever run itself still awaits is abandoned).
        terminate(saga, id, name, message) {
          if (saga.terminating) return;
          saga.terminating = true;
          const error = new Error(message);
          error.name = name;
          saga.rollBack(error).then(() => { host.runSettled(id, false, errorJSON(error)); });
        },
        // A step's retries.delay function, after a failed attempt: Cloudflare's ({ ctx, error })
        // answered with milliseconds or a duration string. What it throws comes back as
        // { thrown }, so that the step fails, not the whole run.
        callDelay(fn, contextText, name, message) {
          try {
            const error = new Error(message);
            error.name = name;
            const value = fn({ ctx: JSON.parse(contextText), error });
            if (typeof value === "number" || typeof value === "string") return value;
            return { thrown: `it returned ${describe(value).slice(0, 100)}, not a number of milliseconds or a duration string` };
          } catch (e) {
            return { thrown: e instanceof Error ? `${e.name}: ${e.message}` : describe(e) };
          }
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
