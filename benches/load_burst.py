#!/usr/bin/env python3
"""Load burst (issue 18): 8 clients write for 30 s on one kommun (each its
own month of a budget line, and action plans with Idempotency-Key), then
8 clients read the whole report for 10 s. Counts 5xx (must be 0), checks
that every acknowledged write reads back, and prints p50/p99 per kind.

    cargo build --release
    createdb -h 127.0.0.1 -U postgres kr_bench_burst
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kr_bench_burst
    target/release/kommunrapport migrate && target/release/kommunrapport seed-demo
    RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn target/release/kommunrapport serve &
    TOKEN=$(target/release/kommunrapport token --role admin --kommun 0483)
    python3 benches/load_burst.py --token "$TOKEN"
"""

import argparse
import http.client
import json
import threading
import time
import uuid


def call(conn, method, path, token, body=None, headers=None):
    h = {"Authorization": f"Bearer {token}"}
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    h.update(headers or {})
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=h)
    response = conn.getresponse()
    data = response.read()
    return response.status, data, (time.perf_counter() - start) * 1000


def first_id(conn, path, token):
    status, data, _ = call(conn, "GET", path, token)
    if status != 200:
        raise SystemExit(f"{path}: {status} {data[:200]!r}")
    return json.loads(data)["items"][0]["id"]


def pct(samples, p):
    if not samples:
        return 0.0
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(len(samples) * p))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--token", required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--write-seconds", type=float, default=30)
    parser.add_argument("--read-seconds", type=float, default=10)
    args = parser.parse_args()
    conn = http.client.HTTPConnection(args.host, args.port)
    t = args.token
    line = first_id(conn, "/api/v1/budget-lines?namnd=VON", t)
    draft = first_id(conn, "/api/v1/reports?namnd=VON&status=utkast", t)
    report = first_id(conn, "/api/v1/reports?namnd=VON&type=arsredovisning", t)

    lock = threading.Lock()
    latencies = {"put_values": [], "post_action_plan": [], "read_report": []}
    server_errors = []
    acknowledged_values = {}
    acknowledged_plans = []

    def writer(n):
        c = http.client.HTTPConnection(args.host, args.port)
        month = f"2025-{n + 1:02d}"
        amount = 0
        until = time.monotonic() + args.write_seconds
        i = 0
        while time.monotonic() < until:
            i += 1
            if i % 3:
                amount -= 1
                body = {"values": [{"measure": "utfall", "month": month, "amount": amount}]}
                status, data, ms = call(c, "PUT", f"/api/v1/budget-lines/{line}/values", t, body)
                kind = "put_values"
                if status == 200:
                    with lock:
                        acknowledged_values[month] = amount
            else:
                body = {"avvikelse": f"Burst {n}-{i}", "atgard": "Mät igen"}
                key = str(uuid.uuid4())
                status, data, ms = call(c, "POST", f"/api/v1/reports/{draft}/action-plans", t,
                                        body, {"Idempotency-Key": key})
                kind = "post_action_plan"
                if status == 201:
                    with lock:
                        acknowledged_plans.append(json.loads(data)["id"])
            with lock:
                latencies[kind].append(ms)
                if status >= 500:
                    server_errors.append((kind, status, data[:200]))

    def reader(_):
        c = http.client.HTTPConnection(args.host, args.port)
        path = (f"/api/v1/reports/{report}"
                "?include=drift,investering,volume_measures,key_figures,sections,action_plans")
        until = time.monotonic() + args.read_seconds
        while time.monotonic() < until:
            status, data, ms = call(c, "GET", path, t)
            with lock:
                latencies["read_report"].append(ms)
                if status >= 500:
                    server_errors.append(("read_report", status, data[:200]))

    for target in (writer, reader):
        threads = [threading.Thread(target=target, args=(n,)) for n in range(args.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()

    # Every acknowledged write reads back (on a new connection: the server
    # closes one idle for longer than its keep-alive).
    conn = http.client.HTTPConnection(args.host, args.port)
    status, data, _ = call(conn, "GET", f"/api/v1/budget-lines/{line}/values", t)
    stored = {v["month"]: v["amount"] for v in json.loads(data)["values"]
              if v["measure"] == "utfall" and v.get("month")}
    lost = [m for m, a in acknowledged_values.items() if stored.get(m) != a]
    status, data, _ = call(conn, "GET", f"/api/v1/reports/{draft}/action-plans?limit=500", t)
    present = set()
    page = json.loads(data)
    present.update(p["id"] for p in page["items"])
    cursor = page.get("next_cursor")
    while cursor:
        status, data, _ = call(conn, "GET",
                               f"/api/v1/reports/{draft}/action-plans?limit=500&cursor={cursor}", t)
        page = json.loads(data)
        present.update(p["id"] for p in page["items"])
        cursor = page.get("next_cursor")
    missing = sum(1 for p in acknowledged_plans if p not in present)

    for kind, samples in latencies.items():
        print(f"{kind:18} n={len(samples):6}  p50={pct(samples, 0.5):7.1f} ms  p99={pct(samples, 0.99):7.1f} ms")
    print(f"5xx: {len(server_errors)}  lost values: {len(lost)}  missing plans: {missing}")
    if server_errors or lost or missing:
        print(server_errors[:5], lost[:5])
        raise SystemExit(1)


if __name__ == "__main__":
    main()
