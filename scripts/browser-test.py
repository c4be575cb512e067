#!/usr/bin/env python3
"""The dashboard and the playground in a real headless Chromium, against a real `brigade serve`.

Run by scripts/browser-test.sh, which starts the server and passes its address and tokens.
Each check prints one line; the first that fails stops the run with its reason (exit 1).
Screenshots of each page go to --screenshots.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--token", required=True, help="the default tenant's token")
parser.add_argument("--other-token", required=True, help="another tenant's (globex) token")
parser.add_argument("--screenshots", required=True)
parser.add_argument("--instances", type=int, default=10000, help="instances in the workflow whose pages are timed")
args = parser.parse_args()
os.makedirs(args.screenshots, exist_ok=True)
BASE = f"{args.url}/client/v4/accounts/default/workflows"


def api(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token or args.token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{method} {path}: {error.code} {error.read()[:300]!r}") from None


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print(f"ok: {what}", flush=True)


def browser():
    options = Options()
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"]:
        options.add_argument(flag)
    binary = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if os.path.exists(binary):
        options.binary_location = binary
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    return driver


def wait(driver, what, condition, timeout=30):
    try:
        # An element the live page redrew between two calls is looked up again at the next poll.
        return WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException]).until(
            lambda d: condition(d))
    except TimeoutException:
        shot(driver, "failure")
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


def shot(driver, name):
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(os.path.join(args.screenshots, f"{name}.png"))


def sign_in(driver, token):
    driver.delete_all_cookies()
    driver.get(f"{args.url}/login")
    field = driver.find_element(By.NAME, "token")
    field.send_keys(token)
    field.submit()
    wait(driver, "the workflows page after signing in", lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-page=workflows]"))


def step_state(step):
    if step["type"] in ("step", "rollback"):
        return {True: "complete", False: "errored"}.get(step.get("success"), "running")
    if step.get("finished"):
        return "errored" if step.get("error") else "complete"
    return "waiting"


def deploy(workflow, source, token=None):
    api("PUT", f"/{workflow}/code", {"source": source}, token)


SHOP = """
export class TenantWorkflow {
  async run(event, step) {
    const order = await step.do('reserve', { retries: { limit: 2, delay: '1 second', backoff: 'constant' } }, async (ctx) => {
      if (ctx.attempt === 1) throw new Error('the warehouse did not answer');
      return { item: event.payload.item };
    });
    await step.sleep('cool off', '1 second');
    const approval = await step.waitForEvent('approval', { type: 'approval', timeout: '1 hour' });
    console.log('approved by', approval.payload.by);
    return { order, approvedBy: approval.payload.by };
  }
}
"""
HOSTILE = """
export class TenantWorkflow {
  async run(event, step) {
    await step.do('<img src=x onerror="window.__pwned=1">', async () => '<script>window.__pwned=2</script><b>bold?</b>');
    console.log('<script>window.__pwned=3</script>');
    throw new Error('<img src=x onerror="window.__pwned=4">');
  }
}
"""
PARKED = """
export class TenantWorkflow {
  async run(event, step) {
    await step.do('first', async () => event.payload.n);
    await step.sleep('park', '1 hour');
  }
}
"""

driver = browser()
try:
    # Sign in, with a token typed into the form; the session is an HttpOnly cookie.
    driver.get(f"{args.url}/")
    check("/login" in driver.current_url, "a page without a session goes to /login")
    shot(driver, "login")
    sign_in(driver, args.token)
    cookie = driver.get_cookie("brigade_session")
    check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", "the session is an HttpOnly, SameSite=Strict cookie")
    check("brg_" not in driver.current_url, "the token is not in the URL")

    deploy("shop", SHOP)
    deploy("hostile", HOSTILE)
    deploy("parked", PARKED)
    shop = api("POST", "/shop/instances", {"instance_id": "order-1", "params": {"item": "lamp"}})["result"]["id"]
    hostile = api("POST", "/hostile/instances", {"instance_id": "hostile-1"})["result"]["id"]

    # The workflows page lists them with their counts.
    driver.get(f"{args.url}/")
    wait(driver, "the shop row", lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-workflow=shop]"))
    check(all(driver.find_elements(By.CSS_SELECTOR, f"tr[data-workflow={name}]") for name in ["shop", "hostile", "parked"]), "the workflows page lists the deployed workflows")

    # The instance waits for its approval; its page's timeline is the API's describe.
    for _ in range(600):
        described = api("GET", f"/shop/instances/{shop}")["result"]
        if described["status"] == "waiting" and any(s["type"] == "waitForEvent" for s in described["steps"]):
            break
        time.sleep(0.05)
    check(described["status"] == "waiting", "the shop instance reached its wait for approval")
    driver.get(f"{args.url}/workflows/shop/instances/{shop}")
    expected = [(s["name"], s["type"], step_state(s)) for s in described["steps"]]
    wait(driver, "the timeline's rows", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#timeline .row")) == len(expected))
    # Read in one script call each: the live page redraws the timeline as events arrive.
    shown = [tuple(row) for row in driver.execute_script(
        "return [...document.querySelectorAll('#timeline .row')].map((r) => [r.dataset.step, r.dataset.type, r.dataset.state])")]
    check(shown == expected, f"the timeline matches describe: {shown}")
    kinds = driver.execute_script("return [...document.querySelectorAll(\"#timeline .row[data-step='reserve-1'] .bar\")].map((b) => b.className)")
    check(kinds == ["bar failed", "bar backoff", "bar ok"], f"the retried step shows its failed attempt, the back-off gap and the attempt that passed: {kinds}")
    check("the warehouse did not answer" in driver.execute_script("return document.querySelector(\"#timeline .row[data-step='reserve-1']\").textContent"),
          "the failed attempt's error is shown")
    shot(driver, "instance")

    # Pause and resume from the page, each after a confirmation.
    def act(action, status):
        driver.find_element(By.CSS_SELECTOR, f"#actions button[data-action={action}]").click()
        WebDriverWait(driver, 10).until(lambda d: d.switch_to.alert).accept()
        wait(driver, f"the status to become {status}", lambda d: d.find_element(By.ID, "status").get_attribute("data-status") == status)
        check(api("GET", f"/shop/instances/{shop}")["result"]["status"] == status, f"{action} from the page: the API says {status}")
    act("pause", "paused")
    act("resume", "waiting")

    # The approval sent from the page; the live page follows to the end.
    driver.find_element(By.ID, "event-type").send_keys("approval")
    driver.find_element(By.ID, "event-payload").send_keys('{"by": "ada"}')
    driver.find_element(By.CSS_SELECTOR, "#actions button[data-action=event]").click()
    WebDriverWait(driver, 10).until(lambda d: d.switch_to.alert).accept()
    wait(driver, "the instance to complete on the page", lambda d: d.find_element(By.ID, "status").get_attribute("data-status") == "complete")
    wait(driver, "the log line, live", lambda d: "approved by ada" in d.find_element(By.ID, "logs").text)
    check(wait(driver, "the output on the page", lambda d: '"approvedBy": "ada"' in d.find_element(By.ID, "output").text),
          "the event sent from the page completed the instance, its output shown")

    # Restart from a chosen step (it waits for its approval again), terminate, delete.
    wait(driver, "the restart choices", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#restart-from option")) > 1)
    # Chosen in one script call: the live page may redraw between two WebDriver calls.
    chosen = driver.execute_script("""
        const select = document.getElementById('restart-from');
        const option = [...select.options].find((o) => o.textContent === 'from approval-1');
        if (!option) return null;
        select.value = option.value;
        return option.value;""")
    check(chosen is not None and '"approval"' in chosen, "the page offers the instance's steps to restart from")
    act("restart", "waiting")
    check(api("GET", f"/shop/instances/{shop}")["result"]["steps"][0]["name"] == "reserve-1", "the restart kept the steps before the chosen one")
    act("terminate", "terminated")
    driver.find_element(By.CSS_SELECTOR, "#actions button[data-action=delete]").click()
    WebDriverWait(driver, 10).until(lambda d: d.switch_to.alert).accept()
    wait(driver, "the workflow's page after the delete", lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-page=workflow]"))
    try:
        api("GET", f"/shop/instances/{shop}")
        deleted = False
    except AssertionError as error:
        deleted = ": 404" in str(error)
    check(deleted, "delete from the page: the API answers 404 for it")

    # Script and HTML in a step's name, its output, a log line and the error are text.
    for _ in range(400):
        if api("GET", f"/hostile/instances/{hostile}")["result"]["status"] == "errored":
            break
        time.sleep(0.05)
    driver.get(f"{args.url}/workflows/hostile/instances/{hostile}")
    wait(driver, "the hostile instance's page", lambda d: d.find_element(By.ID, "status").get_attribute("data-status") == "errored")
    wait(driver, "its log line", lambda d: "window.__pwned=3" in d.find_element(By.ID, "logs").text)
    page_text = driver.execute_script("return document.querySelector('main').innerText")
    check("<script>window.__pwned=2</script><b>bold?</b>" in page_text, "a step's output with a <script> is shown as text")
    check('<img src=x onerror="window.__pwned=4">' in page_text, "an error with markup is shown as text")
    check(driver.execute_script("return window.__pwned === undefined && document.querySelectorAll('main script, main img, main b').length === 0"), "no injected script ran and no injected element exists")
    shot(driver, "hostile")

    # Another tenant's instance URL: not found.
    other = browser()
    try:
        sign_in(other, args.other_token)
        other.get(f"{args.url}/workflows/shop/instances/{shop}")
        check(other.find_element(By.TAG_NAME, "h1").text == "Not found", "another tenant's instance URL shows not-found")
        check(other.execute_script(
            "return fetch('/client/v4/accounts/default/workflows/shop/instances/order-1', {credentials: 'same-origin'}).then(r => r.status)") == 404,
            "another tenant's session reading the first's instance through the API gets 404")
    finally:
        other.quit()

    # The playground runs the seed's greeting, its two steps ticked in order while it runs.
    driver.get(f"{args.url}/playground")
    wait(driver, "the editor", lambda d: d.execute_script("return !!window.brigadePlayground"))
    example = driver.execute_script("return window.brigadePlayground.getCode()")
    check("step.do('greet'" in example and "step.sleep('pause'" in example, "the playground starts from a working example")
    shot(driver, "playground")
    driver.find_element(By.ID, "run").click()
    wait(driver, "the first step ticked", lambda d: d.find_elements(By.CSS_SELECTOR, "#checklist li[data-step='greet-1'][data-state=done]"))
    announce = driver.find_element(By.CSS_SELECTOR, "#checklist li[data-step='announce-1']")
    check(announce.get_attribute("data-state") != "done", "the first step is ticked while the second has not run (the sleep between them)")
    wait(driver, "the output", lambda d: d.find_element(By.ID, "output").text == "Hello, Alice!", timeout=30)
    order = {li.get_attribute("data-step"): li.get_attribute("data-order") for li in driver.find_elements(By.CSS_SELECTOR, "#checklist li")}
    check(order == {"greet-1": "1", "pause-1": "2", "announce-1": "3"}, f"every step ticked, in order: {order}")
    wait(driver, "the live log line", lambda d: "Hello, Alice!" in d.find_element(By.ID, "logs").text)
    shot(driver, "playground-run")

    # Retries shown as they happen, and the event a waitForEvent waits for sent from the page.
    driver.execute_script("window.brigadePlayground.setCode(arguments[0])", """export class TenantWorkflow {
  async run(event, step) {
    await step.do('flaky', { retries: { limit: 2, delay: '1 second', backoff: 'constant' } }, async (ctx) => {
      if (ctx.attempt === 1) throw new Error('first attempt fails');
      return ctx.attempt;
    });
    const approval = await step.waitForEvent('approve', { type: 'go', timeout: '1 hour' });
    return `approved: ${approval.payload.ok}`;
  }
}
""")
    driver.find_element(By.ID, "run").click()
    wait(driver, "the failed attempt in the checklist", lambda d: "first attempt fails" in d.find_element(By.CSS_SELECTOR, "#checklist li[data-step='flaky-1']").text)
    wait(driver, "the event box", lambda d: d.find_element(By.ID, "event-box").is_displayed())
    waiting = driver.find_element(By.ID, "event-waiting").text
    check('waits for "go"' in waiting, f"the playground shows the event the run waits for: {waiting}")
    payload = driver.find_element(By.ID, "event-payload")
    payload.clear()
    payload.send_keys('{"ok": true}')
    driver.find_element(By.ID, "send-event").click()
    wait(driver, "the approved output", lambda d: d.find_element(By.ID, "output").text == "approved: true")
    check(driver.find_element(By.CSS_SELECTOR, "#checklist li[data-step='flaky-1']").get_attribute("data-state") == "done",
          "a retried step is shown failing, then ticked; the event sent from the page ended the run")

    # A syntax error is shown at its line.
    driver.execute_script("window.brigadePlayground.setCode(arguments[0])",
                          "export class TenantWorkflow {\n  async run(event, step) {\n    return step.do('x', async () => { oops( });\n  }\n}\n")
    driver.find_element(By.ID, "run").click()
    wait(driver, "the upload error", lambda d: d.find_elements(By.ID, "error-line"))
    check(driver.find_element(By.ID, "error-line").get_attribute("data-line") == "3", "a syntax error is shown at its line (3)")
    check(len(driver.find_elements(By.CSS_SELECTOR, ".CodeMirror .error-line")) == 1 or not driver.find_elements(By.CSS_SELECTOR, ".CodeMirror"), "the editor marks that line")
    shot(driver, "playground-error")

    # Many instances: the workflow's page and an instance's page stay quick.
    total = 0
    while total < args.instances:
        batch = [{"instance_id": f"bulk-{total + i:06d}", "params": {"n": total + i}} for i in range(min(100, args.instances - total))]
        api("POST", "/parked/instances/batch", batch)
        total += len(batch)
    listed = []
    for attempt in range(3):
        driver.get(f"{args.url}/workflows/parked")
        wait(driver, "the instance list", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#instances tbody tr")) == 25)
        listed.append(driver.execute_script("const m = performance.getEntriesByName('brigade:instances-listed')[0]; return m ? m.startTime : null"))
    print(f"figure: the workflow's page with {args.instances} instances: its first 25 listed at {', '.join(f'{t:.0f}' for t in listed if t is not None)} ms", flush=True)
    driver.find_element(By.ID, "next").click()
    wait(driver, "the second page", lambda d: d.find_elements(By.CSS_SELECTOR, "#instances tbody tr") and not d.find_element(By.ID, "previous").get_property("disabled"))
    check(len(driver.find_elements(By.CSS_SELECTOR, "#instances tbody tr")) == 25, f"cursor paging over {args.instances} instances")
    shot(driver, "workflow")
    paints = []
    for attempt in range(3):
        driver.get(f"{args.url}/workflows/parked/instances/bulk-000042")
        wait(driver, "the instance header", lambda d: d.find_element(By.ID, "status").get_attribute("data-status"))
        wait(driver, "the instance drawn", lambda d: d.execute_script("return performance.getEntriesByName('brigade:instance-rendered').length > 0"))
        paint = driver.execute_script("const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null")
        drawn = driver.execute_script("return performance.getEntriesByName('brigade:instance-rendered')[0].startTime")
        paints.append((paint, drawn))
    print(f"figure: instance page at {args.instances} instances in the workflow: first contentful paint {', '.join(f'{p:.0f}' for p, _ in paints if p is not None)} ms; header and timeline drawn at {', '.join(f'{d:.0f}' for _, d in paints)} ms", flush=True)
    driver.get(f"{args.url}/")
    wait(driver, "the overview", lambda d: "Running now" in d.find_element(By.ID, "overview").text)
    shot(driver, "workflows")
    print("browser tests: all passed", flush=True)
except AssertionError as failure:
    print(f"FAILED: {failure}", flush=True)
    sys.exit(1)
finally:
    driver.quit()
