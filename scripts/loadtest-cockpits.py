#!/usr/bin/env python3
"""Opens every preset cockpit through the HTTP API as a browser page does
and times it. Each widget's query is posted to /api/v1/metrics/query (goal
widgets to /api/v1/cockpits/goal-widget), six at a time like a browser's
connections to one host ("page") and one after the other ("serial"); a
round opens every preset once. Prints a Markdown table of the median and
p95 of the whole cockpit per preset and login, and the slowest widgets.

Usage: loadtest-cockpits.py BASE_URL ROUNDS [LABEL=]EMAIL... (password cohort-demo)
Run through scripts/loadtest-cockpits.sh, which starts the server.
"""
import http.client, json, sys, threading, time, urllib.parse
from concurrent.futures import ThreadPoolExecutor

base, rounds, emails = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
host = urllib.parse.urlparse(base).netloc


class Client:
    def __init__(self, cookie):
        self.cookie, self.conn = cookie, http.client.HTTPConnection(host, timeout=120)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        h = {"Cookie": self.cookie, "Content-Type": "application/json", "Accept-Language": "zh-CN"}
        self.conn.request(method, path, body=data, headers=h)
        r = self.conn.getresponse()
        out = r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {out[:300]!r}")
        return json.loads(out) if out else None


def login(email):
    c = http.client.HTTPConnection(host)
    c.request("POST", "/api/v1/auth/login", body=json.dumps({"email": email, "password": "cohort-demo"}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        raise RuntimeError(f"login {email}: {r.status}")
    for k, v in r.getheaders():
        if k.lower() == "set-cookie" and v.startswith("cohort_session="):
            return v.split(";")[0]
    raise RuntimeError("no session cookie")


def requests_of(preset, periods):
    out = []
    for w in preset["layout"]:
        if w.get("goal"):
            out.append((w["id"], "/api/v1/cockpits/goal-widget", {"type": w["type"], "goal": w["goal"]}))
            continue
        q = w["query"]
        frm, to = q.get("from"), q.get("to")
        if q.get("period") in periods:
            frm, to = periods[q["period"]]
        mq = {"metrics": q["metrics"], "dimensions": q.get("dimensions") or [], "filters": q.get("filters") or [],
              "from": frm, "to": to, "compare": q.get("compare") or []}
        if q.get("role"):
            mq["role"] = q["role"]
        if q.get("department_root"):
            mq["department_root"] = q["department_root"]
        out.append((w["id"], "/api/v1/metrics/query", mq))
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


rows, slow = [], {}
for arg in emails:
    label, _, email = arg.rpartition("=")
    cookie = login(email)
    email = label or email
    clients = [Client(cookie)]
    local = threading.local()

    def mine():  # each of the pool's threads keeps its own connection, as a browser does
        if not hasattr(local, "c"):
            local.c = Client(cookie)
        return local.c
    presets = clients[0].call("GET", "/api/v1/cockpits/presets")["items"]
    periods = {p["period"]: (p["from"], p["to"]) for p in clients[0].call("GET", "/api/v1/cockpits/periods")["items"]}
    plan = [(p["key"], requests_of(p, periods)) for p in presets]
    for key, reqs in plan:  # warm up: every statement once, and check every widget answers
        for _, path, body in reqs:
            clients[0].call("POST", path, body)
    page, serial = {k: [] for k, _ in plan}, {k: [] for k, _ in plan}
    with ThreadPoolExecutor(6) as pool:
        for _ in range(rounds):
            for key, reqs in plan:
                t0 = time.perf_counter()
                list(pool.map(lambda r: mine().call("POST", r[1], r[2]), reqs))
                page[key].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                for wid, path, body in reqs:
                    t1 = time.perf_counter()
                    clients[0].call("POST", path, body)
                    slow.setdefault((key, wid), []).append((time.perf_counter() - t1) * 1000)
                serial[key].append((time.perf_counter() - t0) * 1000)
    for key, reqs in plan:
        rows.append((key, email, len(reqs), pct(page[key], 50), pct(page[key], 95), pct(serial[key], 50), pct(serial[key], 95)))

# Goals, as the administrator: completion of every rule for the whole
# company over 12 months (each rule asked for this month or quarter with the
# periods before it as the trend), and the grid of each rule's year.
goal_rows = []
if emails:
    label, _, email = emails[0].rpartition("=")
    c = Client(login(email))
    today = time.gmtime()
    y, m = today.tm_year, today.tm_mon
    paths = []
    for r in c.call("GET", "/api/v1/goal-rules")["items"]:
        rid = r["id"]
        if r["cycle"] == "quarter":
            paths.append(f"/api/v1/goal-rules/{rid}/completion?period=FY{y}-Q{(m - 1) // 3 + 1}&trend=3")
        elif r["cycle"] == "month":
            paths.append(f"/api/v1/goal-rules/{rid}/completion?period={y}-{m:02d}&trend=11")
        else:
            paths.append(f"/api/v1/goal-rules/{rid}/completion?period=FY{y}")
        grid = f"/api/v1/goal-rules/{rid}/grid?year={y}"
        c.call("GET", grid)
        took = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            c.call("GET", grid)
            took.append((time.perf_counter() - t0) * 1000)
        goal_rows.append((f"grid of {r['name']} ({r['subject_type']}, {r['cycle']})", took))
    if paths:
        for p in paths:
            c.call("GET", p)
        took = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for p in paths:
                c.call("GET", p)
            took.append((time.perf_counter() - t0) * 1000)
        goal_rows.insert(0, (f"completion of all {len(paths)} rules, 12 months, whole company", took))

print("| preset | login | widgets | page (6 at a time) p50 / p95 ms | one after the other p50 / p95 ms |")
print("| --- | --- | --- | --- | --- |")
for key, email, n, a, b, c, d in rows:
    print(f"| {key} | {email} | {n} | {a:.1f} / {b:.1f} | {c:.1f} / {d:.1f} |")
print()
print("Slowest widgets (median ms over every login and round):")
for (key, wid), xs in sorted(slow.items(), key=lambda kv: -pct(kv[1], 50))[:8]:
    print(f"- {key}/{wid}: {pct(xs, 50):.1f}")

if goal_rows:
    print()
    print("| goals, as the administrator | p50 / p95 ms |")
    print("| --- | --- |")
    for name, took in goal_rows:
        print(f"| {name} | {pct(took, 50):.1f} / {pct(took, 95):.1f} |")
