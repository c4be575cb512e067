import Foundation

/// The dashboard's script and style sheet, served at `/ui/app.js` and `/ui/app.css`: plain files,
/// nothing from the internet. CodeMirror comes from Debian's `libjs-codemirror` when the machine
/// has it (the playground falls back to a plain text area).
enum DashboardAssets {
    /// CodeMirror 5's files the playground loads, by the name it asks for; nil without the package.
    static let codeMirror: [String: (text: String, type: String)]? = {
        let root = "/usr/share/javascript/codemirror"
        let files = [
            "codemirror.js": ("\(root)/lib/codemirror.js", "text/javascript; charset=utf-8"),
            "codemirror.css": ("\(root)/lib/codemirror.css", "text/css; charset=utf-8"),
            "javascript.js": ("\(root)/mode/javascript/javascript.js", "text/javascript; charset=utf-8"),
        ]
        var found: [String: (text: String, type: String)] = [:]
        for (name, (path, type)) in files {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            found[name] = (text, type)
        }
        return found
    }()

    static let script = #"""
"use strict";
// Brigade's dashboard and playground. Every value from the API reaches the page as a text node
// or an attribute set through the DOM: nothing here parses HTML.
(() => {
  const body = document.body;
  const page = body.dataset.page;
  const account = body.dataset.account || "";
  const csrf = body.dataset.csrf || "";
  const base = `/client/v4/accounts/${encodeURIComponent(account)}/workflows`;
  const eventTypes = [
    "workflow_queued", "workflow_started", "workflow_running", "workflow_paused", "workflow_waiting_for_pause", "workflow_waiting",
    "workflow_completed", "workflow_errored", "workflow_terminated", "step_started", "step_completed", "step_errored",
    "attempt_started", "attempt_completed", "attempt_errored", "sleep_started", "sleep_completed", "wait_started", "wait_completed",
    "wait_timed_out", "child_started", "child_completed", "child_timed_out", "rollback_started", "rollback_step_started",
    "rollback_step_completed", "rollback_step_errored", "rollback_attempt_started", "rollback_attempt_completed",
    "rollback_attempt_errored", "log", "event_received",
  ];

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  const $ = (selector) => document.querySelector(selector);
  const when = (value) => (value ? new Date(value).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "—");
  const json = (value) => (value === undefined ? "" : JSON.stringify(value, null, 2));
  const shown = (value) => (typeof value === "string" ? value : json(value));
  const workflowPath = (name) => `/${encodeURIComponent(name)}`;

  // The Workflows API as this session: its cookie, and the CSRF token on every request.
  async function api(path, options = {}) {
    const response = await fetch(base + path, {
      method: options.method || "GET",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-brigade-csrf": csrf },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    let answer = null;
    try { answer = await response.json(); } catch (error) { answer = null; }
    if (!response.ok || (answer && answer.success === false)) {
      const first = answer && answer.errors && answer.errors[0];
      const error = new Error(first ? first.message : `${response.status} ${response.statusText}`);
      error.status = response.status;
      throw error;
    }
    return answer;
  }

  // Follows one instance's event stream (history first, then live), calling `each` per event.
  function follow(workflow, id, each) {
    const source = new EventSource(`${base}${workflowPath(workflow)}/instances/${encodeURIComponent(id)}/subscribe`);
    for (const type of eventTypes) {
      source.addEventListener(type, (message) => {
        let data = {};
        try { data = JSON.parse(message.data); } catch (error) { data = {}; }
        each(type, data);
      });
    }
    return source;
  }

  function badge(node, status) {
    node.textContent = status || "";
    node.className = `badge ${status || ""}`;
    node.dataset.status = status || "";
  }

  // ---- The workflows page, and the server's overview from /metrics.
  async function workflowsPage() {
    const tbody = $("#workflows tbody");
    const all = [];
    try {
      for (let number = 1; number <= 100; number++) {
        const answer = await api(`?per_page=100&page=${number}`);
        all.push(...answer.result);
        if (answer.result.length < 100) break;
      }
    } catch (error) {
      $("#message").textContent = `The workflows did not load: ${error.message}`;
      return;
    }
    const statuses = ["queued", "running", "waiting", "paused", "errored", "terminated", "complete"];
    tbody.replaceChildren(...all.map((workflow) => {
      const counts = workflow.instances || {};
      const runs = Object.values(counts).reduce((sum, count) => sum + count, 0);
      return el("tr", { "data-workflow": workflow.name },
        el("td", {}, el("a", { href: `/workflows/${encodeURIComponent(workflow.name)}` }, workflow.name),
          workflow.code_version ? el("span", { class: "muted" }, ` v${workflow.code_version}`) : null),
        el("td", { class: "n" }, runs),
        statuses.map((status) => el("td", { class: `n ${counts[status] ? status : "zero"}`, "data-status": status }, counts[status] || 0)),
        el("td", {}, (workflow.schedules || []).map((schedule) => el("div", {}, el("code", {}, schedule.cron), ` next ${when(schedule.next_instance)}`))));
    }));
    $("#message").textContent = all.length ? "" : "No workflows yet: deploy one with brigade deploy, or run one in the playground.";
    overview();
  }

  function metricSamples(text) {
    const samples = [];
    for (const line of text.split("\n")) {
      if (!line || line.startsWith("#")) continue;
      const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
      if (!match) continue;
      const labels = {};
      for (const pair of (match[2] || "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
      samples.push({ name: match[1], labels, value: Number(match[3]) });
    }
    return samples;
  }
  function quantile(samples, name, q) {
    const byBound = new Map();
    for (const sample of samples.filter((s) => s.name === `${name}_bucket`)) {
      const bound = sample.labels.le === "+Inf" ? Infinity : Number(sample.labels.le);
      byBound.set(bound, (byBound.get(bound) || 0) + sample.value);
    }
    const buckets = [...byBound].sort((a, b) => a[0] - b[0]);
    const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
    if (!total) return null;
    const rank = q * total;
    let previous = [0, 0];
    for (const bucket of buckets) {
      if (bucket[1] >= rank) {
        if (bucket[0] === Infinity) return previous[0];
        return previous[0] + (bucket[0] - previous[0]) * ((rank - previous[1]) / Math.max(1e-9, bucket[1] - previous[1]));
      }
      previous = bucket;
    }
    return null;
  }
  function overview() {
    const section = $("#overview");
    let last = null;
    const ms = (seconds) => (seconds === null ? "—" : `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 0)} ms`);
    async function poll() {
      let samples;
      try {
        const response = await fetch("/metrics", { credentials: "same-origin" });
        samples = metricSamples(await response.text());
      } catch (error) {
        section.textContent = "";
        return;
      }
      const sum = (name, keep = () => true) => samples.filter((s) => s.name === name && keep(s.labels)).reduce((total, s) => total + s.value, 0);
      const now = Date.now();
      const created = sum("brigade_instances_created_total");
      const finished = sum("brigade_instances", (labels) => ["complete", "errored", "terminated"].includes(labels.status));
      const running = sum("brigade_instances", (labels) => labels.status === "running");
      const rate = (value, previous) => (last ? `${Math.max(0, ((value - previous) * 60000) / Math.max(1, now - last.at)).toFixed(1)}/min` : "…");
      const cells = [
        ["Running now", String(running)],
        ["Created", last ? rate(created, last.created) : "…"],
        ["Finished", last ? rate(finished, last.finished) : "…"],
        ["Queue wait p50 / p99", `${ms(quantile(samples, "brigade_queue_wait_seconds", 0.5))} / ${ms(quantile(samples, "brigade_queue_wait_seconds", 0.99))}`],
        ["Step duration p50 / p99", `${ms(quantile(samples, "brigade_step_duration_seconds", 0.5))} / ${ms(quantile(samples, "brigade_step_duration_seconds", 0.99))}`],
      ];
      section.replaceChildren(el("h2", {}, "This server (every account)"),
        el("dl", { class: "stats" }, cells.map(([name, value]) => [el("dt", {}, name), el("dd", {}, value)])));
      last = { at: now, created, finished };
    }
    poll();
    setInterval(poll, 5000);
  }

  // ---- One workflow: its instances (filters, cursor paging) and its versions.
  async function workflowPage() {
    const name = body.dataset.workflow;
    const path = workflowPath(name);
    let info;
    try {
      info = (await api(path)).result;
    } catch (error) {
      $("#workflow-info").textContent = error.status === 404 ? "No such workflow in this account." : `It did not load: ${error.message}`;
      return;
    }
    $("#workflow-info").replaceChildren(el("dl", { class: "header" },
      el("dt", {}, "Runs"), el("dd", {}, info.code_version ? `code version ${info.code_version}` : info.class_name),
      el("dt", {}, "Created"), el("dd", {}, when(info.created_on)),
      el("dt", {}, "Schedules"), el("dd", {}, (info.schedules || []).length
        ? info.schedules.map((s) => el("div", {}, el("code", {}, s.cron), ` next ${when(s.next_instance)}`)) : "none")));

    const filters = $("#filters");
    const cursors = [null];
    let index = 0;
    async function load() {
      const form = new FormData(filters);
      const query = new URLSearchParams({ per_page: "25" });
      if (form.get("status")) query.set("status", form.get("status"));
      if (form.get("from")) query.set("date_start", new Date(form.get("from")).toISOString());
      if (form.get("to")) query.set("date_end", new Date(form.get("to")).toISOString());
      if (cursors[index]) query.set("cursor", cursors[index]);
      let answer;
      try {
        answer = await api(`${path}/instances?${query}`);
      } catch (error) {
        $("#message").textContent = `The instances did not load: ${error.message}`;
        return;
      }
      $("#instances tbody").replaceChildren(...answer.result.map((instance) => el("tr", { "data-instance": instance.id },
        el("td", {}, el("a", { href: `/workflows/${encodeURIComponent(name)}/instances/${encodeURIComponent(instance.id)}` }, instance.id)),
        el("td", {}, el("span", { class: `badge ${instance.status}`, "data-status": instance.status }, instance.status)),
        el("td", {}, when(instance.created_on)), el("td", {}, when(instance.started_on)), el("td", {}, when(instance.ended_on)))));
      $("#message").textContent = answer.result.length ? "" : "No instances match.";
      if (!performance.getEntriesByName("brigade:instances-listed").length) performance.mark("brigade:instances-listed");
      const next = answer.result_info && answer.result_info.cursor;
      cursors[index + 1] = next || null;
      $("#next").disabled = !next;
      $("#previous").disabled = index === 0;
    }
    filters.addEventListener("submit", (event) => { event.preventDefault(); cursors.length = 1; index = 0; load(); });
    $("#next").addEventListener("click", () => { index += 1; load(); });
    $("#previous").addEventListener("click", () => { index = Math.max(0, index - 1); load(); });
    $("#find").addEventListener("submit", (event) => {
      event.preventDefault();
      const id = new FormData(event.target).get("id");
      location.href = `/workflows/${encodeURIComponent(name)}/instances/${encodeURIComponent(id)}`;
    });
    load();

    try {
      const versions = (await api(`${path}/versions?per_page=50`)).result;
      $("#versions").replaceChildren(...versions.map((version) => {
        const code = el("pre", { class: "code", hidden: true });
        const toggle = el("button", { type: "button" }, "Show code");
        toggle.addEventListener("click", async () => {
          if (code.hidden && !code.textContent) {
            try { code.textContent = (await api(`${path}/versions/${encodeURIComponent(version.id)}`)).result.source || "(no source: a workflow of the server's program)"; }
            catch (error) { code.textContent = `It did not load: ${error.message}`; }
          }
          code.hidden = !code.hidden;
          toggle.textContent = code.hidden ? "Show code" : "Hide code";
        });
        return el("li", {}, `version ${version.version ?? ""} `, el("code", {}, version.id), ` ${when(version.created_on)} `, toggle, code);
      }));
    } catch (error) {
      $("#versions").replaceChildren(el("li", { class: "muted" }, "No versions."));
    }
  }

  // ---- One instance: header, a timeline to scale, logs, live; and its actions.
  function stepState(step) {
    if (step.type === "step" || step.type === "rollback") return step.success === true ? "complete" : step.success === false ? "errored" : "running";
    if (step.finished) return step.error ? "errored" : "complete";
    return "waiting";
  }
  function renderTimeline(container, described) {
    const steps = (described.steps || []).filter((step) => step.type !== "termination");
    const start = Date.parse(described.start || described.queued);
    const marks = [start + 1];
    for (const step of steps) {
      for (const time of [step.start, step.end]) if (time) marks.push(Date.parse(time));
      for (const attempt of step.attempts || []) for (const time of [attempt.start, attempt.end]) if (time) marks.push(Date.parse(time));
    }
    const end = Math.max(described.end ? Date.parse(described.end) : Date.now(), ...marks);
    const span = Math.max(1, end - start);
    const at = (time) => Math.min(100, Math.max(0, ((time - start) / span) * 100));
    function bar(kind, from, to, title) {
      const node = el("span", { class: `bar ${kind}`, title });
      const left = at(from);
      node.style.left = `${left}%`;
      node.style.width = `${Math.max(0.4, at(to) - left)}%`;
      return node;
    }
    const rows = steps.map((step) => {
      const lane = el("div", { class: "lane" });
      const state = stepState(step);
      if (step.type === "step" || step.type === "rollback") {
        let previousEnd = null;
        for (const [index, attempt] of (step.attempts || []).entries()) {
          const from = Date.parse(attempt.start);
          if (previousEnd !== null && from > previousEnd) lane.append(bar("backoff", previousEnd, from, "back-off before the next attempt"));
          const to = attempt.end ? Date.parse(attempt.end) : Date.now();
          const title = attempt.success === false ? `attempt ${index + 1} failed: ${attempt.error ? `${attempt.error.name}: ${attempt.error.message}` : ""}` : `attempt ${index + 1}`;
          lane.append(bar(attempt.success === true ? "ok" : attempt.success === false ? "failed" : "running", from, to, title));
          previousEnd = to;
        }
      } else if (step.start) {
        lane.append(bar(step.type === "sleep" ? "sleep" : "wait", Date.parse(step.start), step.end ? Date.parse(step.end) : Date.now(), step.type));
      }
      const failures = (step.attempts || []).filter((attempt) => attempt.success === false && attempt.error);
      const detail = el("div", { class: "detail" },
        step.attempts && step.attempts.length > 1 ? el("span", { class: "muted" }, `${step.attempts.length} attempts `) : null,
        failures.map((attempt) => el("div", { class: "error" }, `${attempt.error.name}: ${attempt.error.message}`)),
        step.event_type ? el("span", { class: "muted" }, `waits for "${step.event_type}" `) : null,
        step.output !== undefined && step.output !== null ? el("code", { class: "output" }, shown(step.output)) : null,
        step.error ? el("div", { class: "error" }, `${step.error.name}: ${step.error.message}`) : null);
      return el("div", { class: `row ${state}`, "data-step": step.name, "data-type": step.type, "data-state": state },
        el("div", { class: "label" }, el("span", { class: `dot ${state}` }), step.name, el("span", { class: "muted" }, ` ${step.type}`)), lane, detail);
    });
    container.replaceChildren(...(rows.length ? rows : [el("p", { class: "muted" }, "No steps yet.")]));
  }
  function renderHeader(described) {
    badge($("#status"), described.status);
    const entries = [
      ["Trigger", described.trigger ? described.trigger.source : "api"],
      ["Version", described.code_version ? `code version ${described.code_version}` : described.versionId],
      ["Queued", when(described.queued)], ["Started", when(described.start)], ["Ended", when(described.end)],
      ["Params", el("pre", { class: "json" }, shown(described.params))],
      ["Output", el("pre", { class: "json", id: "output" }, described.output === null || described.output === undefined ? "—" : shown(described.output))],
      ["Error", described.error ? el("span", { class: "error", id: "error" }, `${described.error.name}: ${described.error.message}`) : "—"],
    ];
    $("#header").replaceChildren(...entries.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
  }
  function appendLog(logs, data) {
    const line = `${when(data.timestamp)} ${data.level || "log"}${data.stepName ? ` [${data.stepName}]` : ""} ${data.message ?? ""}\n`;
    logs.append(line);
  }
  async function instancePage() {
    const workflow = body.dataset.workflow;
    const id = body.dataset.instance;
    const path = `${workflowPath(workflow)}/instances/${encodeURIComponent(id)}`;
    let described = null;
    async function refresh() {
      try {
        described = (await api(path)).result;
      } catch (error) {
        $("#action-message").textContent = `It did not load: ${error.message}`;
        return;
      }
      renderHeader(described);
      renderTimeline($("#timeline"), described);
      // The choices change only when the steps do: a choice being made is not swept away.
      const select = $("#restart-from");
      const choices = [["", "from the start"], ...(described.steps || [])
        .filter((step) => ["step", "sleep", "waitForEvent", "child"].includes(step.type)).map((step) => {
          const match = /^(.*)-(\d+)$/.exec(step.name) || [null, step.name, "1"];
          return [JSON.stringify({ name: match[1], count: Number(match[2]), type: step.type === "step" ? "do" : step.type }), `from ${step.name}`];
        })];
      const shownNow = [...select.options].map((option) => [option.value, option.textContent]);
      if (JSON.stringify(shownNow) !== JSON.stringify(choices)) {
        const chosen = select.value;
        select.replaceChildren(...choices.map(([value, label]) => el("option", { value }, label)));
        select.value = chosen;
      }
    }
    let scheduled = null;
    const soon = () => { if (scheduled === null) scheduled = setTimeout(() => { scheduled = null; refresh(); }, 150); };
    await refresh();
    // When the instance is on the screen, for the browser tests' timing.
    performance.mark("brigade:instance-rendered");
    const logs = $("#logs");
    follow(workflow, id, (type, data) => {
      if (type === "log") appendLog(logs, data);
      soon();
    });
    const message = $("#action-message");
    async function act(action) {
      try {
        if (action === "pause" || action === "resume" || action === "terminate") {
          if (!confirm(`${action[0].toUpperCase()}${action.slice(1)} instance ${id}?`)) return;
          await api(`${path}/status`, { method: "PATCH", body: { status: action } });
        } else if (action === "restart") {
          const from = $("#restart-from").value;
          if (!confirm(`Restart instance ${id} ${from ? `from ${JSON.parse(from).name}` : "from the start"}?`)) return;
          await api(`${path}/status`, { method: "PATCH", body: from ? { status: "restart", from: JSON.parse(from) } : { status: "restart" } });
        } else if (action === "event") {
          const type = $("#event-type").value.trim();
          if (!type) { message.textContent = "Give the event's type."; return; }
          let payload = null;
          const text = $("#event-payload").value.trim();
          try { payload = text ? JSON.parse(text) : null; } catch (error) { message.textContent = `The payload is not JSON: ${error.message}`; return; }
          if (!confirm(`Send event "${type}" to instance ${id}?`)) return;
          await api(`${path}/events/${encodeURIComponent(type)}`, { method: "POST", body: payload });
        } else if (action === "delete") {
          if (!confirm(`Delete instance ${id} and its history? This cannot be undone.`)) return;
          await api(`${workflowPath(workflow)}/instances/batch/delete`, { method: "POST", body: { instances: [id] } });
          location.href = `/workflows/${encodeURIComponent(workflow)}`;
          return;
        }
        message.textContent = `${action}: done`;
        await refresh();
      } catch (error) {
        message.textContent = `${action} failed: ${error.message}`;
      }
    }
    for (const button of document.querySelectorAll("#actions button[data-action]")) {
      button.addEventListener("click", () => act(button.dataset.action));
    }
  }

  // ---- The playground: write, Run, watch each step commit.
  const example = [
    "export class TenantWorkflow {",
    "  async run(event, step) {",
    "    const greeting = await step.do('greet', async () => `Hello, ${event.payload.name}!`);",
    "    await step.sleep('pause', '2 seconds');",
    "    await step.do('announce', async () => {",
    "      console.log(greeting);",
    "      return greeting.length;",
    "    });",
    "    return greeting;",
    "  }",
    "}",
    "",
  ].join("\n");
  // The step calls the code makes, in the order written, named as the engine names them.
  function plannedSteps(source) {
    const counts = new Map();
    const found = [];
    for (const match of source.matchAll(/step\.(do|sleep|sleepUntil|waitForEvent|child)\(\s*(['"`])((?:(?!\2)[^\\]|\\.)*)\2/g)) {
      const name = match[3];
      const count = (counts.get(name) || 0) + 1;
      counts.set(name, count);
      found.push({ kind: match[1], name: `${name}-${count}` });
    }
    return found;
  }
  function playgroundPage() {
    const textarea = $("#code");
    textarea.value = localStorage.getItem("brigade.playground.code") || example;
    const editor = window.CodeMirror ? window.CodeMirror.fromTextArea(textarea, { mode: "javascript", lineNumbers: true, indentUnit: 2 }) : null;
    const getCode = () => (editor ? editor.getValue() : textarea.value);
    let marked = null;
    function markLine(line) {
      if (editor) {
        if (marked !== null) editor.removeLineClass(marked, "background", "error-line");
        if (line === null) { marked = null; return; }
        marked = line - 1;
        editor.addLineClass(marked, "background", "error-line");
        editor.scrollIntoView({ line: marked, ch: 0 });
      } else if (line !== null) {
        const lines = textarea.value.split("\n");
        const from = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
        textarea.focus();
        textarea.setSelectionRange(from, from + (lines[line - 1] || "").length);
      }
    }
    // For tests and scripts: the editor's text, whichever editor there is.
    window.brigadePlayground = { getCode, setCode: (code) => (editor ? editor.setValue(code) : (textarea.value = code)) };

    const uploadError = $("#upload-error");
    let stream = null;
    $("#playground").addEventListener("submit", async (event) => {
      event.preventDefault();
      uploadError.hidden = true;
      uploadError.replaceChildren();
      markLine(null);
      const source = getCode();
      localStorage.setItem("brigade.playground.code", source);
      let params;
      try { params = JSON.parse($("#params").value || "null"); } catch (error) {
        uploadError.hidden = false;
        uploadError.textContent = `The params are not JSON: ${error.message}`;
        return;
      }
      $("#run").disabled = true;
      try {
        try {
          await api("/playground/code", { method: "PUT", body: { source } });
        } catch (error) {
          const place = /line (\d+), column (\d+)/.exec(error.message) || /tenant\.(?:js|ts):(\d+):(\d+)/.exec(error.message);
          uploadError.hidden = false;
          uploadError.replaceChildren(place ? el("strong", { id: "error-line", "data-line": place[1] }, `Line ${place[1]}: `) : "", error.message);
          if (place) markLine(Number(place[1]));
          return;
        }
        const created = (await api("/playground/instances", { method: "POST", body: { params } })).result;
        watch(created.id, source);
      } catch (error) {
        uploadError.hidden = false;
        uploadError.textContent = `The run did not start: ${error.message}`;
      } finally {
        $("#run").disabled = false;
      }
    });

    function watch(id, source) {
      if (stream) stream.close();
      $("#run-state").hidden = false;
      const link = $("#instance-link");
      link.textContent = id;
      link.setAttribute("href", `/workflows/playground/instances/${encodeURIComponent(id)}`);
      badge($("#status"), "queued");
      $("#logs").replaceChildren();
      $("#output").textContent = "";
      $("#event-box").hidden = true;
      const checklist = $("#checklist");
      const items = new Map();
      function item(name, kind) {
        if (!items.has(name)) {
          const node = el("li", { "data-step": name, "data-state": "pending" }, el("span", { class: "check" }), el("span", {}, name), el("span", { class: "muted" }, ` ${kind}`), el("div", { class: "attempts" }));
          items.set(name, node);
          checklist.append(node);
        }
        return items.get(name);
      }
      checklist.replaceChildren();
      for (const planned of plannedSteps(source)) item(planned.name, planned.kind);
      const order = [];
      const refreshed = async () => {
        const described = (await api(`/playground/instances/${encodeURIComponent(id)}`)).result;
        badge($("#status"), described.status);
        if (described.status === "complete") $("#output").textContent = shown(described.output);
        if (described.status === "errored" && described.error) $("#output").textContent = `${described.error.name}: ${described.error.message}`;
        const waiting = (described.steps || []).find((step) => step.type === "waitForEvent" && !step.finished);
        $("#event-box").hidden = !waiting || described.status !== "waiting";
        if (waiting) {
          $("#event-waiting").textContent = `${waiting.name} waits for "${waiting.event_type}" `;
          $("#send-event").dataset.type = waiting.event_type || "";
        }
      };
      stream = follow("playground", id, (type, data) => {
        const name = data.stepName;
        if (name && /_started$/.test(type) && !type.startsWith("attempt") && !type.startsWith("rollback")) {
          const node = item(name, type.split("_")[0]);
          if (node.dataset.state === "pending") node.dataset.state = "running";
        }
        if (name && ["step_completed", "sleep_completed", "wait_completed", "child_completed"].includes(type)) {
          const node = item(name, type.split("_")[0]);
          node.dataset.state = "done";
          order.push(name);
          node.dataset.order = String(order.length);
        }
        if (name && ["step_errored", "wait_timed_out", "child_timed_out"].includes(type)) item(name, "step").dataset.state = "failed";
        if (name && type === "attempt_errored") {
          const error = data.error || {};
          item(name, "step").querySelector(".attempts").append(el("div", { class: "error" }, `attempt ${data.attempt ?? ""} failed: ${error.name || "Error"}: ${error.message || ""}`));
        }
        if (type === "log") appendLog($("#logs"), data);
        if (type.startsWith("workflow_") || type === "wait_started" || type === "wait_completed") refreshed().catch(() => {});
      });
    }
    $("#send-event").addEventListener("click", async () => {
      const link = $("#instance-link");
      const id = link.textContent;
      let payload;
      try { payload = JSON.parse($("#event-payload").value || "null"); } catch (error) { $("#event-waiting").textContent = `The payload is not JSON: ${error.message}`; return; }
      try {
        await api(`/playground/instances/${encodeURIComponent(id)}/events/${encodeURIComponent($("#send-event").dataset.type || "")}`, { method: "POST", body: payload });
        $("#event-box").hidden = true;
      } catch (error) {
        $("#event-waiting").textContent = `It was not sent: ${error.message}`;
      }
    });
  }

  const pages = { workflows: workflowsPage, workflow: workflowPage, instance: instancePage, playground: playgroundPage };
  if (pages[page]) pages[page]();
})();
"""#

    static let style = #"""
:root { --fg: #1d2330; --muted: #6a7285; --line: #dde1e8; --bg: #f7f8fa; --card: #fff; --accent: #f38020;
  --ok: #2e9b5f; --bad: #d1453b; --wait: #5b7fd6; --sleep: #9aa6bd; --run: #e7a23a; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: #2456c9; text-decoration: none; } a:hover { text-decoration: underline; }
code, pre, textarea { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
header.top { display: flex; gap: 16px; align-items: center; padding: 8px 20px; background: #1d2330; color: #fff; }
header.top a { color: #fff; } header.top nav { display: flex; gap: 14px; flex: 1; }
header.top .brand { font-weight: 700; color: var(--accent); font-size: 16px; }
header.top form { margin: 0; display: flex; gap: 4px; } header.top .account { color: #c9cfdb; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 20px 40px; }
main.login { max-width: 380px; padding-top: 12vh; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 18px; display: grid; gap: 8px; }
h1 { font-size: 22px; margin: 8px 0 14px; } h2 { font-size: 16px; margin: 22px 0 8px; }
button { font: inherit; padding: 4px 12px; border: 1px solid #b9c0cc; border-radius: 6px; background: #fff; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; } button.danger { color: var(--bad); border-color: #e2aaa5; }
input, select, textarea { font: inherit; padding: 4px 6px; border: 1px solid #b9c0cc; border-radius: 6px; background: #fff; }
.muted { color: var(--muted); } .error { color: var(--bad); white-space: pre-wrap; } .hint { color: var(--muted); margin: 0; }
table.list { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
table.list th, table.list td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.list th { font-weight: 600; background: #eef0f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; } td.zero { color: #b4bac6; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e4e7ee; font-weight: 600; vertical-align: middle; }
.badge.complete { background: #d8f1e3; color: #1f6d43; } .badge.errored, .badge.terminated { background: #f8dcd9; color: #9c2b22; }
.badge.running { background: #fcecd2; color: #8a5a0c; } .badge.waiting, .badge.queued { background: #dfe7fa; color: #2d4a96; }
.badge.paused, .badge.waitingForPause { background: #e7e2f6; color: #4d3d8f; }
dl.header, dl.stats { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0 0 10px; }
dl.stats { grid-template-columns: repeat(5, max-content max-content); } dt { color: var(--muted); } dd { margin: 0; }
pre.json, pre.code, pre.logs, pre.output { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px; margin: 0; white-space: pre-wrap; word-break: break-word; max-height: 420px; overflow: auto; }
.filters { display: flex; gap: 10px; align-items: end; flex-wrap: wrap; margin: 0 0 10px; } .filters label { display: grid; gap: 2px; color: var(--muted); }
.paging { display: flex; gap: 8px; margin-top: 8px; } .crumbs { margin: 0; color: var(--muted); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 10px 0; } .group { display: inline-flex; gap: 4px; }
.actions p { flex-basis: 100%; margin: 0; }
.timeline { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
.timeline .row { display: grid; grid-template-columns: 220px 1fr; gap: 4px 12px; padding: 4px 0; border-bottom: 1px solid #eef0f4; }
.timeline .row:last-child { border-bottom: 0; } .timeline .detail { grid-column: 2; font-size: 12.5px; }
.timeline .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.lane { position: relative; height: 16px; background: #f1f3f7; border-radius: 4px; align-self: center; }
.bar { position: absolute; top: 2px; bottom: 2px; border-radius: 3px; min-width: 3px; }
.bar.ok { background: var(--ok); } .bar.failed { background: var(--bad); } .bar.running { background: var(--run); }
.bar.sleep { background: var(--sleep); } .bar.wait { background: var(--wait); }
.bar.backoff { background: repeating-linear-gradient(90deg, #f3b8b3 0 4px, transparent 4px 8px); }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; background: #c1c7d2; }
.dot.complete { background: var(--ok); } .dot.errored { background: var(--bad); } .dot.running { background: var(--run); } .dot.waiting { background: var(--wait); }
code.output { display: block; white-space: pre-wrap; word-break: break-word; }
.overview { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 2px 14px 8px; margin-bottom: 16px; }
.overview h2 { font-size: 13px; color: var(--muted); margin: 8px 0; }
.playground { display: grid; gap: 6px; } .playground textarea#code { min-height: 300px; } .CodeMirror { border: 1px solid #b9c0cc; border-radius: 6px; height: 320px; }
.error-line { background: #fbe3e0; } #upload-error { margin: 8px 0; padding: 8px; background: #fbe3e0; border-radius: 6px; }
.checklist { list-style: none; padding: 0; margin: 6px 0; } .checklist li { padding: 3px 0; }
.checklist .check { display: inline-block; width: 16px; height: 16px; border: 2px solid #b9c0cc; border-radius: 4px; margin-right: 8px; vertical-align: -3px; }
.checklist li[data-state="running"] .check { border-color: var(--run); }
.checklist li[data-state="done"] .check { background: var(--ok); border-color: var(--ok); }
.checklist li[data-state="failed"] .check { background: var(--bad); border-color: var(--bad); }
.checklist .attempts { margin-left: 26px; font-size: 12.5px; }
.versions li { margin: 4px 0; } .versions pre { margin-top: 6px; }
"""#
}
