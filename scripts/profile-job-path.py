#!/usr/bin/env python3
"""Counts the instructions Gantry spends per event on its job path, slow and in a burst.

Start `gantry sandbox` under callgrind with instrumentation off, for instance

    valgrind --tool=callgrind --instr-atstart=off --callgrind-out-file=cg.%p \
        target/debug/gantry sandbox --data-dir /tmp/sb --plugins-dir DIR \
        --listen 127.0.0.1:18080 --sim-listen 127.0.0.1:18081

then run this script with that process id. For each phase it switches
instrumentation on, zeroes the counters, sends `--events` signed `issues.opened`
deliveries (each to an issue of its own, which the `hooks` plugin labels), waits
until the database has their jobs done (read from the file, costing the server
nothing), dumps the
counters to a file of their own (`cg.PID.N`, read with `callgrind_annotate`) and
switches instrumentation off again. The phases:

- `idle`: no event for `--idle-secs`, what the timers cost;
- `slow`: one event every `--gap-ms` (each job done before the next arrives);
- `burst`: every event at once, from `--connections` connections.

Events are numbered on from where the last phase stopped, so each job is new.
With `--perf` the process runs natively and `perf stat` counts, per phase, its
CPU time (ms), context switches and page faults: what callgrind does not see.
"""
import argparse
import concurrent.futures
import hashlib
import hmac
import json
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import uuid


def post(url, secret, body):
    """Posts one delivery; a 503 (under callgrind the webhook deadline can pass) is
    sent again under the same delivery id, as GitHub's redelivery would be."""
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    delivery = str(uuid.uuid4())
    for _ in range(20):
        request = urllib.request.Request(
            url + "/webhooks/github",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "issues",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": signature,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=600):
                return
        except urllib.error.HTTPError as err:
            if err.code != 503:
                raise
            time.sleep(1)
    raise RuntimeError("the delivery was refused 20 times")


def finished(database):
    # Read from the database file by this process, so waiting costs the server nothing.
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=60) as db:
        return db.execute("SELECT count(*) FROM jobs WHERE status = 'done'").fetchone()[0]


def callgrind(pid, *flags):
    subprocess.run(["callgrind_control", *flags, str(pid)], check=True, capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pid", type=int, help="the gantry process under callgrind")
    parser.add_argument("--url", default="http://127.0.0.1:18080")
    parser.add_argument("--database", required=True, help="the sandbox's SQLite file")
    parser.add_argument("--secret", default="gantry-sandbox")
    parser.add_argument("--payload", default="tests/fixtures/webhooks/issues/opened.payload.json")
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--gap-ms", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--idle-secs", type=float, default=20)
    parser.add_argument("--phases", default="idle,slow,burst")
    parser.add_argument(
        "--perf",
        action="store_true",
        help="the process runs natively: per phase, `perf stat` counts its CPU time, "
        "context switches and page faults instead of callgrind",
    )
    args = parser.parse_args()
    template = json.load(open(args.payload))
    issue = [1000]

    def body():
        issue[0] += 1
        template["issue"]["number"] = issue[0]
        return json.dumps(template).encode()

    def wait_for(target):
        while finished(args.database) < target:
            time.sleep(0.5)

    # One event outside the measurement: what is read once per process is read.
    post(args.url, args.secret, body())
    wait_for(1)
    for phase in args.phases.split(","):
        done = finished(args.database)
        if args.perf:
            counting = subprocess.Popen(
                ["perf", "stat", "-x", ",", "-e", "task-clock,context-switches,page-faults",
                 "-p", str(args.pid)],
                stderr=subprocess.PIPE, text=True)
        else:
            callgrind(args.pid, "-i", "on")
            callgrind(args.pid, "-z")
        started = time.monotonic()
        if phase == "idle":
            time.sleep(args.idle_secs)
            events = 0
        elif phase == "slow":
            for _ in range(args.events):
                post(args.url, args.secret, body())
                time.sleep(args.gap_ms / 1000)
            events = args.events
        elif phase == "burst":
            bodies = [body() for _ in range(args.events)]
            with concurrent.futures.ThreadPoolExecutor(args.connections) as pool:
                list(pool.map(lambda b: post(args.url, args.secret, b), bodies))
            events = args.events
        else:
            raise SystemExit(f"unknown phase {phase}")
        wait_for(done + events)
        elapsed = time.monotonic() - started
        print(f"{phase}: {events} events in {elapsed:.1f} s", flush=True)
        if args.perf:
            counting.send_signal(signal.SIGINT)
            for line in counting.communicate()[1].splitlines():
                fields = line.split(",")
                if len(fields) > 2 and fields[0].replace(".", "").isdigit():
                    value = float(fields[0])
                    each = f", {value / events:.2f} per event" if events else ""
                    print(f"  {fields[2]}: {value:.1f}{each}", flush=True)
        else:
            callgrind(args.pid, "-d", phase)
            callgrind(args.pid, "-i", "off")


if __name__ == "__main__":
    main()
