#!/usr/bin/env python3
"""Times reads of VON's approved årsredovisning 2024 (the demo), as decided
and live, over one keep-alive HTTP/1.1 connection, against a running
service: median and p99 of N sequential GETs after a warm-up.

    cargo build --release
    DATABASE_URL=sqlite://target/bench-decided.db?mode=rwc RATE_LIMIT_PER_MINUTE=0 \
        RUST_LOG=warn target/release/kommunrapport serve &
    TOKEN=$(target/release/kommunrapport token --role kommunledning --kommun 0483)
    python3 benches/decided_read.py --token "$TOKEN" -n 2000
"""

import argparse
import http.client
import json
import statistics
import time


def get(conn, path, token):
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
    return body


def timed(conn, path, token, n):
    for _ in range(20):
        get(conn, path, token)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        get(conn, path, token)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--token", required=True)
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    conn = http.client.HTTPConnection(args.host, args.port)
    reports = json.loads(
        get(conn, "/api/v1/reports?namnd=VON&type=arsredovisning", args.token)
    )
    report = reports["items"][0]["id"]
    parts = "drift,investering,volume_measures,key_figures,sections,action_plans"
    cases = [
        ("whole report, as decided", f"/api/v1/reports/{report}?include={parts}&unit=tkr"),
        ("whole report, live", f"/api/v1/reports/{report}?include={parts}&unit=tkr&basis=live"),
        ("drift table, as decided", f"/api/v1/reports/{report}/drift?unit=tkr"),
        ("version 1, canonical bytes", f"/api/v1/reports/{report}/versions/1"),
    ]
    print("| read | median | p99 |")
    print("|---|---|---|")
    for name, path in cases:
        median, p99 = timed(conn, path, args.token, args.n)
        print(f"| {name} | {median:.3f} ms | {p99:.3f} ms |")


if __name__ == "__main__":
    main()
