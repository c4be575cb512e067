/// The dashboard's pages: a layout and, per page, the elements its script fills. Nothing here
/// reads data but the session and the path; names reach the page as escaped text.
enum DashboardPage {
    static func login(error: String?) -> HTML {
        document(
            title: "Sign in", page: "login", attributes: "",
            body: """
                <main class="login">
                <h1>Brigade</h1>
                <form method="post" action="/login" class="card">
                <label for="token">Token</label>
                <input id="token" name="token" type="password" autocomplete="off" autofocus required placeholder="brg_…">
                <p class="hint">A tenant's token (<code>brigade serve</code> prints the default one), or the admin token.</p>
                \(error.map { HTML("<p class=\"error\" role=\"alert\">\($0)</p>") } ?? "")
                <button type="submit">Sign in</button>
                </form>
                </main>
                """)
    }

    static func workflows(_ session: DashboardSessions.Session) -> HTML {
        layout(
            session, title: "Workflows", page: "workflows",
            content: """
                <h1>Workflows</h1>
                <section id="overview" class="overview" aria-label="This server now"></section>
                <table id="workflows" class="list">
                <thead><tr><th>Name</th><th>Runs</th><th>Queued</th><th>Running</th><th>Waiting</th><th>Paused</th><th>Errored</th><th>Terminated</th><th>Complete</th><th>Schedules</th></tr></thead>
                <tbody></tbody>
                </table>
                <p id="message" class="muted"></p>
                """)
    }

    static func workflow(_ session: DashboardSessions.Session, name: String) -> HTML {
        layout(
            session, title: name, page: "workflow", attributes: " data-workflow=\"\(name)\"",
            content: """
                <p class="crumbs"><a href="/">Workflows</a> /</p>
                <h1>\(name)</h1>
                <section id="workflow-info"></section>
                <h2>Instances</h2>
                <form id="filters" class="filters">
                <label>Status <select name="status"><option value="">any</option><option>queued</option><option>running</option><option>waiting</option><option>waitingForPause</option><option>paused</option><option>errored</option><option>terminated</option><option>complete</option></select></label>
                <label>From <input type="datetime-local" name="from"></label>
                <label>To <input type="datetime-local" name="to"></label>
                <button type="submit">Filter</button>
                </form>
                <form id="find" class="filters"><label>Instance id <input name="id" required maxlength="100"></label><button type="submit">Open</button></form>
                <table id="instances" class="list">
                <thead><tr><th>Instance</th><th>Status</th><th>Created</th><th>Started</th><th>Ended</th></tr></thead>
                <tbody></tbody>
                </table>
                <p id="message" class="muted"></p>
                <nav class="paging"><button id="previous" type="button" disabled>Previous</button><button id="next" type="button" disabled>Next</button></nav>
                <h2>Versions</h2>
                <ul id="versions" class="versions"></ul>
                """)
    }

    static func instance(_ session: DashboardSessions.Session, workflow: String, id: String) -> HTML {
        layout(
            session, title: id, page: "instance", attributes: " data-workflow=\"\(workflow)\" data-instance=\"\(id)\"",
            content: """
                <p class="crumbs"><a href="/">Workflows</a> / <a href="/workflows/\(workflow)">\(workflow)</a> /</p>
                <h1>Instance <code>\(id)</code> <span id="status" class="badge"></span></h1>
                <dl id="header" class="header"></dl>
                <section id="actions" class="actions">
                <button type="button" data-action="pause">Pause</button>
                <button type="button" data-action="resume">Resume</button>
                <button type="button" data-action="terminate" class="danger">Terminate</button>
                <span class="group"><select id="restart-from" aria-label="Restart from"><option value="">from the start</option></select><button type="button" data-action="restart">Restart</button></span>
                <span class="group"><input id="event-type" placeholder="event type" aria-label="Event type" maxlength="100"><input id="event-payload" placeholder='{"approved": true}' aria-label="Event payload (JSON)"><button type="button" data-action="event">Send event</button></span>
                <button type="button" data-action="delete" class="danger">Delete</button>
                <p id="action-message" class="muted" role="status"></p>
                </section>
                <h2>Timeline</h2>
                <div id="timeline" class="timeline"></div>
                <h2>Logs</h2>
                <pre id="logs" class="logs"></pre>
                """)
    }

    static func playground(_ session: DashboardSessions.Session, codeMirror: Bool) -> HTML {
        layout(
            session, title: "Playground", page: "playground", codeMirror: codeMirror,
            content: """
                <h1>Playground</h1>
                <p class="muted">Write a <code>TenantWorkflow</code>, press Run: it is deployed as a new version of the workflow <code>playground</code> and an instance starts with the params below.</p>
                <form id="playground" class="playground">
                <textarea id="code" name="code" spellcheck="false" aria-label="Workflow code"></textarea>
                <label for="params">Params (JSON)</label>
                <textarea id="params" name="params" rows="3" spellcheck="false">{"name": "Alice"}</textarea>
                <button id="run" type="submit">Run</button>
                </form>
                <div id="upload-error" class="error" role="alert" hidden></div>
                <section id="run-state" class="run" hidden>
                <p>Instance <a id="instance-link"></a> <span id="status" class="badge"></span></p>
                <ol id="checklist" class="checklist"></ol>
                <div id="event-box" class="group" hidden><span id="event-waiting"></span><input id="event-payload" value="{}" aria-label="Event payload (JSON)"><button id="send-event" type="button">Send event</button></div>
                <h2>Logs</h2>
                <pre id="logs" class="logs"></pre>
                <h2>Output</h2>
                <pre id="output" class="output"></pre>
                </section>
                """)
    }

    static func notFound(_ session: DashboardSessions.Session) -> HTML {
        layout(
            session, title: "Not found", page: "not-found",
            content: """
                <h1>Not found</h1>
                <p>There is no such page, workflow or instance in account <code>\(session.account)</code>.</p>
                <p><a href="/">Workflows</a></p>
                """)
    }

    private static func layout(
        _ session: DashboardSessions.Session, title: String, page: String, attributes: HTML = "", codeMirror: Bool = false, content: HTML
    ) -> HTML {
        let switcher: HTML =
            session.isAdmin
            ? """
            <form method="post" action="/account" class="switch"><input type="hidden" name="_csrf" value="\(session.csrf)"><input name="account" value="\(session.account)" aria-label="Account" maxlength="64"><button type="submit">Switch</button></form>
            """ : ""
        return document(
            title: title, page: page, attributes: " data-account=\"\(session.account)\" data-csrf=\"\(session.csrf)\"\(attributes)",
            codeMirror: codeMirror,
            body: """
                <header class="top">
                <a href="/" class="brand">Brigade</a>
                <nav><a href="/">Workflows</a><a href="/playground">Playground</a></nav>
                <span class="account">Account <code>\(session.account)</code>\(session.isAdmin ? " (admin)" : "")</span>
                \(switcher)
                <form method="post" action="/logout"><input type="hidden" name="_csrf" value="\(session.csrf)"><button type="submit">Sign out</button></form>
                </header>
                <main>
                \(content)
                </main>
                """)
    }

    private static func document(title: String, page: String, attributes: HTML, codeMirror: Bool = false, body: HTML) -> HTML {
        let editor: HTML =
            codeMirror
            ? """
            <link rel="stylesheet" href="/ui/codemirror/codemirror.css">
            <script src="/ui/codemirror/codemirror.js"></script>
            <script src="/ui/codemirror/javascript.js"></script>
            """ : ""
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Brigade</title>
            <link rel="stylesheet" href="/ui/app.css">
            \(editor)
            </head>
            <body data-page="\(page)"\(attributes)>
            \(body)
            <script src="/ui/app.js"></script>
            </body>
            </html>
            """
    }
}
