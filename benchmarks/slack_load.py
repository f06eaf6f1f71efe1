"""Load test of the Slack HTTP endpoint: slash-command ack latency and throughput, icam-bot vs a bare Bolt app.

Usage:  .venv/bin/python benchmarks/slack_load.py [--duration 15] [--connections 50] [--questions 300]

Three processes: a fake Slack Web API (records response_url posts), the app under test on a free port, and the
load generator (wrk when installed, e.g. ``apt-get install wrk``; else a built-in aiohttp client). Every request
is a signed ``/icam ask`` command with its own trigger id (``--invocations`` of them, so each is a new question the
app stores before its ack and answers, as a workspace's commands are); the load cycles through ``--questions``
distinct questions from the evaluation set (in-scope and out-of-scope), so repeated questions are answered from
the responder's recent-replies cache as they would be in a workspace. icam-bot acks at once and its answer worker
posts the answer to the fake's response_url afterwards; the report says how many answers arrived during the load
and how long the rest took. The bare app is a Bolt AsyncApp whose only listener acks. Targets: icam-bot ack p99
<= 100 ms; throughput >= 50 % of bare.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the icam-bot command sets it (answer workers inherit it)

import argparse
import asyncio
import gc
import itertools
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "slack")]

SECRET = "bench-signing-secret"
QUESTIONS = ("how do I reset my PIV PIN?",)  # when the evaluation set is missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- child processes -----------------------------------------------------------------------------------


def run_fake() -> None:
    from fake_slack import FakeSlack

    async def main() -> None:
        fake = FakeSlack(keep_params=False)  # a long run would otherwise hold every answer in memory
        await fake.start()
        print(f"FAKE {fake.port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def run_app(kind: str, port: int, fake_url: str, metrics_port: int = 0) -> None:
    from aiohttp import web

    if kind == "icam":
        from handlers.app import create_app, services_of_app
        from handlers.runtime.server import build_web_app
        from icam_bot.config import Settings
        from icam_bot.db import make_engine, upgrade
        from icam_bot.logs import configure_logging
        from icam_bot.questions.store import Store
        from icam_bot.runtime import build_responder

        data = tempfile.mkdtemp(prefix="icam-bench-")
        cache = os.environ.get("ICAM_TEST_CACHE_DIR") or str(Path(tempfile.gettempdir()) / "icam-bot-test-cache")
        settings = Settings.from_env(
            {
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake_url,
                "ICAM_DATA_DIR": data,
                "ICAM_CACHE_DIR": cache,
                "ICAM_ANSWER_WORKERS": os.environ.get("ICAM_ANSWER_WORKERS", "1"),
            }
        )
        # Log as ``icam-bot serve`` does (JSON, INFO, one line per request), into a file in the data directory.
        log = open(Path(data) / "serve.log", "a", encoding="utf-8")  # noqa: SIM115 - open for the process's life
        configure_logging("INFO", "json", (SECRET, "xoxb-bench"), stream=log)
        responder = build_responder(settings)
        responder.ask("warm up")
        engine = make_engine(settings.database_url)
        upgrade(engine)
        app = create_app(settings, responder, Store(engine))
        services_of_app(app).answer_pool.warm_up()
        gc.collect()
        gc.freeze()  # as icam-bot serve does
        web_app = build_web_app(app, SECRET, internal_address=("127.0.0.1", metrics_port))
    else:
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
        from slack_bolt.async_app import AsyncApp
        from slack_sdk.web.async_client import AsyncWebClient

        bare = AsyncApp(client=AsyncWebClient(token="xoxb-bench", base_url=fake_url), signing_secret=SECRET)

        @bare.command("/icam")
        async def only_ack(ack) -> None:
            await ack()

        async def endpoint(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await bare.async_dispatch(await to_bolt_request(request)))

        web_app = web.Application()
        web_app.router.add_post("/slack/events", endpoint)
    print("READY", flush=True)
    web.run_app(web_app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- load generation -----------------------------------------------------------------------------------


Signed = list[tuple[str, dict[str, str]]]


def signed_body(response_url: str, question: str, trigger_id: str) -> tuple[str, dict[str, str]]:
    from slack_requests import signature_headers, slash_command

    body = slash_command(f"ask {question}", response_url, trigger_id=trigger_id)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signature_headers(body, SECRET)}
    return body, headers


def signed_requests(response_url: str, count: int, invocations: int = 1) -> Signed:
    """``invocations`` signed ``/icam ask`` commands cycling through ``count`` distinct questions (in-scope and
    out-of-scope), each with its own trigger id as Slack gives every invocation: each is a new question that is
    stored and answered. A load that sends more requests than that sends some twice, and the app rightly treats
    a second delivery of the same invocation as a retry (acked, not answered again)."""
    from icam_bot.evaluation.dataset import load_dataset

    questions = [item.question for item in load_dataset()][:count] or list(QUESTIONS)
    return [signed_body(response_url, questions[i % len(questions)], f"bench.{i}") for i in range(invocations)]


#: wrk's Lua script: each thread reads the signed requests (one per line: body, then header name/value pairs,
#: tab-separated) and sends every thread-count-th of them from its own offset, so no invocation is sent twice
#: until the file is used up. (A Lua table literal of tens of thousands of requests does not load in LuaJIT:
#: wrk then silently sends its default GET, and every response is an error.)
WRK_SCRIPT = """
local path, threads, created = %s, %d, 0
function setup(thread)
  thread:set("offset", created)
  created = created + 1
end
function init(args)
  reqs = {}
  for line in io.lines(path) do
    local fields = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
    local headers = {}
    for k = 2, #fields - 1, 2 do headers[fields[k]] = fields[k + 1] end
    reqs[#reqs + 1] = wrk.format("POST", nil, headers, fields[1])
  end
  i = offset %% #reqs + 1
end
function request()
  local r = reqs[i]
  i = i + threads
  if i > #reqs then i = (i - 1) %% #reqs + 1 end
  return r
end
"""


def wrk_run(url: str, requests: Signed, duration: int, connections: int, threads: int = 2) -> dict[str, float]:
    """wrk sending the signed requests in order, split between its threads (see WRK_SCRIPT)."""
    with tempfile.TemporaryDirectory(prefix="icam-wrk-") as tmp:
        data = Path(tmp) / "requests.tsv"
        with data.open("w", encoding="utf-8") as out_file:
            for body, headers in requests:
                fields = [body, *(x for pair in headers.items() for x in pair)]
                if any(c in f for f in fields for c in "\t\n"):
                    raise SystemExit("a signed request holds a tab or newline")
                out_file.write("\t".join(fields) + "\n")
        script = Path(tmp) / "requests.lua"
        script.write_text(WRK_SCRIPT % (json.dumps(str(data)), threads), encoding="utf-8")
        command = ["wrk", f"-t{threads}", f"-c{max(connections, threads)}", f"-d{duration}s", "--latency"]
        run = subprocess.run(
            [*command, "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        )
    out = run.stdout
    if run.stderr.strip():
        raise SystemExit("wrk reported errors:\n" + run.stderr)
    if not re.search(r"99%", out):
        raise SystemExit("unexpected wrk output:\n" + out)

    def ms(token: str) -> float:
        match = re.match(r"([\d.]+)(us|ms|s|m)", token)
        if match is None:
            raise SystemExit("unexpected wrk output:\n" + out)
        value, unit = match.groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(rps.group(1)),
        "p50": ms(p50.group(1)),
        "p99": ms(p99.group(1)),  # type: ignore[union-attr]
        "requests": int(total.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,  # type: ignore[union-attr]
        "socket_errors": errors.group(1) if errors else "",
    }


def latency_summary(latencies: list[float], duration: int, non2xx: int) -> dict:
    """Throughput and latency percentiles of one client-side run (milliseconds)."""
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "requests": len(latencies),
        "non2xx": non2xx,
        "socket_errors": "",
    }


async def aiohttp_run(url: str, requests: Signed, duration: int, connections: int) -> dict:
    import aiohttp

    latencies: list[float] = []
    non2xx = 0
    deadline = time.monotonic() + duration
    sent = itertools.count()  # shared: every request is the next invocation

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal non2xx
        while time.monotonic() < deadline:
            body, headers = requests[next(sent) % len(requests)]
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                non2xx += resp.status != 200
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    return latency_summary(latencies, duration, non2xx)


async def paced_run(url: str, requests: Signed, duration: int, rate: float) -> dict:
    """Open-loop load: ``rate`` requests per second regardless of responses (how Slack actually sends)."""
    import aiohttp

    latencies: list[float] = []
    non2xx = 0

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal non2xx
        body, headers = requests[n % len(requests)]
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            non2xx += resp.status != 200
        latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as session:
        tasks = []
        start = time.perf_counter()
        for i in range(int(duration * rate)):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(session, i)))
        await asyncio.gather(*tasks)
    return {**latency_summary(latencies, duration, non2xx), "tool": f"aiohttp paced {rate:g}/s"}


def load(url: str, requests: Signed, duration: int, connections: int) -> dict:
    if shutil.which("wrk"):
        return {**wrk_run(url, requests, duration, connections), "tool": "wrk"}
    return {**asyncio.run(aiohttp_run(url, requests, duration, connections)), "tool": "aiohttp"}


# -- orchestration -------------------------------------------------------------------------------------


def spawn(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise SystemExit(f"child {args} failed to start")
    return proc, line


def stats(fake_port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{fake_port}/_stats", timeout=10) as resp:
        return json.loads(resp.read())


def turned_away(metrics_port: int) -> int:
    """Questions the app refused at the ack because its answer queue was full (from its internal /metrics)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as resp:
        page = resp.read().decode()
    found = re.search(r"^icam_bot_questions_turned_away_total (\S+)$", page, re.MULTILINE)
    return int(float(found.group(1))) if found else 0


def wait_drained(fake_port: int, quiet_s: float = 1.5, timeout: float = 120) -> int:
    """Wait until no more answers arrive (the previous phase's backlog is done); returns the answer count."""
    deadline = time.monotonic() + timeout
    last, last_change = stats(fake_port).get("response_url", 0), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last_change < quiet_s:
        time.sleep(0.25)
        now = stats(fake_port).get("response_url", 0)
        if now != last:
            last, last_change = now, time.monotonic()
    return last


def wait_ready(port: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("app did not start")


def bench(
    kind: str,
    fake_port: int,
    duration: int,
    connections: int,
    *,
    rate: float = 0,
    questions: int = 300,
    invocations: int = 40_000,
) -> dict:
    port, metrics_port = free_port(), free_port()
    proc, _ = spawn(
        "--child", kind, "--port", str(port), "--metrics-port", str(metrics_port),
        "--fake-url", f"http://127.0.0.1:{fake_port}/api/",
    )  # fmt: skip
    try:
        wait_ready(port)
        response_url = f"http://127.0.0.1:{fake_port}/response/{kind}"
        requests = signed_requests(response_url, questions, invocations)
        url = f"http://127.0.0.1:{port}/slack/events"
        load(url, [signed_body(response_url, "warm up", "bench.warm-up")], 1, 2)  # auth.test, connection pools
        before = wait_drained(fake_port)
        if rate:
            result = asyncio.run(paced_run(url, requests, duration, rate))
        else:
            result = load(url, requests, duration, connections)
        result["answers_during_load"] = stats(fake_port).get("response_url", 0) - before
        started = time.monotonic()
        answered = before
        result["turned_away"] = turned_away(metrics_port) if kind == "icam" else 0
        if kind == "icam":
            expected = before + result["requests"] - result["non2xx"] - result["turned_away"]
            while time.monotonic() - started < 120:
                answered = stats(fake_port).get("response_url", 0)
                if answered >= expected:
                    break
                time.sleep(0.25)
        result["answers"] = answered - before
        result["drain_s"] = time.monotonic() - started
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--questions", type=int, default=300, help="distinct questions the load cycles through")
    parser.add_argument(
        "--invocations",
        type=int,
        default=0,
        help="distinct signed invocations (trigger ids) the load sends (default: enough for the run: 15,000/s "
        "with wrk, 40,000 with the built-in client)",
    )
    parser.add_argument("--rate", type=float, default=20.0, help="paced icam-bot run: requests/s (0 to skip)")
    parser.add_argument("--child", choices=["fake", "icam", "bare"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--metrics-port", type=int, default=0)
    parser.add_argument("--fake-url", default="")
    args = parser.parse_args()
    if args.child == "fake":
        run_fake()
        return 0
    if args.child:
        run_app(args.child, args.port, args.fake_url, args.metrics_port)
        return 0

    if not args.invocations:
        args.invocations = args.duration * 15_000 if shutil.which("wrk") else 40_000
    fake, line = spawn("--child", "fake")
    fake_port = int(line.split()[1])
    try:
        sizes = {"questions": args.questions, "invocations": args.invocations}
        bare = bench("bare", fake_port, args.duration, args.connections, **sizes)
        icam = bench("icam", fake_port, args.duration, args.connections, **sizes)
        paced = None
        if args.rate:
            paced = bench("icam", fake_port, args.duration, args.connections, rate=args.rate, **sizes)
    finally:
        fake.terminate()
        fake.wait(timeout=30)
    print(
        f"\nslash-command load, {args.connections} connections, {args.duration}s, tool={icam['tool']}, "
        f"{os.cpu_count()} CPUs, cycling through {args.questions} distinct questions\n"
    )
    print(f"{'app':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}{'non-2xx':>9}{'answers':>9}")
    for name, r in (("bare", bare), ("icam-bot", icam)):
        print(
            f"{name:<10}{r['rps']:>10.0f}{r['p50']:>10.1f}{r['p99']:>10.1f}{r['requests']:>10}"
            f"{r['non2xx']:>9}{(r['answers'] if name == 'icam-bot' else '-'):>9}"
        )
    for name, r in (("bare", bare), ("icam-bot", icam)):
        if r["requests"] > args.invocations:
            print(f"note: {name} sent {r['requests']} requests for {args.invocations} invocations: some were retries")
        if r["non2xx"]:
            print(f"WARNING: {name} answered {r['non2xx']} requests with an error status: its figures are not valid")
    ratio = icam["rps"] / bare["rps"] if bare["rps"] else 0.0
    print(f"\nthroughput ratio icam-bot / bare: {ratio:.0%} (target >= 50%)")
    print(f"icam-bot ack p99: {icam['p99']:.1f} ms (target <= 100 ms)")
    print(
        f"answers delivered to response_url: {icam['answers']} of {icam['requests'] - icam['non2xx']} acked, "
        f"{icam['turned_away']} told to ask again (answer queue full) "
        f"({icam['answers_during_load']} during the load, {icam['answers_during_load'] / args.duration:.0f}/s); "
        f"backlog drained {icam['drain_s']:.1f}s after load stopped"
    )
    if paced:
        print(
            f"\npaced (open-loop) {args.rate:g} commands/s for {args.duration}s: ack p50 {paced['p50']:.1f} ms, "
            f"p99 {paced['p99']:.1f} ms; answers delivered {paced['answers']} of {paced['requests']}, "
            f"the last {paced['drain_s']:.1f}s after the load stopped"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
