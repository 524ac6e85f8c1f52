#!/usr/bin/env python3
"""Times every goal widget of the preset cockpits (POST
/api/v1/cockpits/goal-widget), one at a time, as one login: prints the
median per widget over ROUNDS rounds.

Usage: loadtest-goalwidgets.py BASE_URL ROUNDS EMAIL (password cohort-demo)
Run through scripts/loadtest-goalwidgets.sh, which starts the server.
"""
import http.client, json, sys, time, urllib.parse

base, rounds, email = sys.argv[1], int(sys.argv[2]), sys.argv[3]
host = urllib.parse.urlparse(base).netloc


def login(email):
    c = http.client.HTTPConnection(host)
    c.request("POST", "/api/v1/auth/login", body=json.dumps({"email": email, "password": "cohort-demo"}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    for k, v in r.getheaders():
        if k.lower() == "set-cookie" and v.startswith("cohort_session="):
            return v.split(";")[0]
    raise RuntimeError(f"login {email}: {r.status}")


cookie = login(email)
conn = http.client.HTTPConnection(host, timeout=120)


def call(method, path, body=None):
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                 headers={"Cookie": cookie, "Content-Type": "application/json"})
    r = conn.getresponse()
    out = r.read()
    if r.status >= 300:
        raise RuntimeError(f"{method} {path}: {r.status} {out[:300]!r}")
    return json.loads(out)


widgets = [(p["key"] + "/" + w["id"], {"type": w["type"], "goal": w["goal"]})
           for p in call("GET", "/api/v1/cockpits/presets")["items"] for w in p["layout"] if w.get("goal")]
for _, body in widgets:  # warm up
    call("POST", "/api/v1/cockpits/goal-widget", body)
took = {}
for _ in range(rounds):
    for key, body in widgets:
        t0 = time.perf_counter()
        call("POST", "/api/v1/cockpits/goal-widget", body)
        took.setdefault(key, []).append((time.perf_counter() - t0) * 1000)
print(f"| goal widget ({email}) | p50 ms |")
print("| --- | --- |")
for key, xs in took.items():
    xs.sort()
    print(f"| {key} | {xs[len(xs) // 2]:.1f} |")
