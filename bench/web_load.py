"""The web platform under load: 20 concurrent users against the demo data of `make run`.

Each virtual user signs in (through the form) as a demo owner whose business has a finished
review and one in progress, then repeats, until its count or the time limit is reached:

- GET the result page of the finished review (`assessment:result`);
- POST an answer to a question of the open review (`assessment:question`), a real change
  each time (the user alternates between two of the question's options);
- GET the question page the answer leads to (the redirect's target).

Reports p50/p95/p99 per endpoint and requests a second. Target (issue 6): p95 under 150 ms for
the result page and for answering a question, with SQLite on this machine.

The server is what `make run` runs, started here with a fresh demo in a temporary folder:
`cyberbasics serve`, i.e. gunicorn with a worker process per CPU (2 to 4) and 4 threads
each, DEBUG off, static files by WhiteNoise, SQLite in WAL mode, the
task worker and the lab beside it. With `--url` (and `--var`, the folder of its database) it
measures a `cyberbasics serve` already running instead. Only loopback.

    cd bench && ../.venv/bin/python web_load.py [--users 20 --requests 50 --time-limit 120]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from cyberbasics.web.html_forms import form_with, sign_in_fields

TARGET_P95_MS = 150.0
ENDPOINTS = ("result page", "answer a question", "next question page")
TARGETED = ("result page", "answer a question")
START_S = 180.0
# A person reads a page before the next click: a second on average (0.5 to 1.5 s).
THINK_S = 1.0
SIGN_IN_S = 120.0
STOP_S = 30.0
URL_LINE = re.compile(r"Cyber Basics is running at (http://127\.0\.0\.1:\d+/)")
SERVER = ("`cyberbasics serve` as `make run` starts it: gunicorn (a worker process per CPU, "
          "2 to 4, 4 threads each), DEBUG off, SQLite (WAL)")


# --- the targets: which pages each user loads ----------------------------------------------------

def discover(var: Path) -> list[dict]:
    """For every demo owner whose business has a finished review and an open one: the result
    page's path and questions of the open review to answer (path and two options each).
    Runs in its own process (`web_load.py discover VAR`), against that folder's database."""
    env = {**os.environ, "CYBERBASICS_VAR": str(var), "CYBERBASICS_LAB": "1",
           "DJANGO_SETTINGS_MODULE": "cyberbasics.web.settings"}
    env.pop("CYBERBASICS_DATABASE_URL", None)
    done = subprocess.run([sys.executable, __file__, "discover", str(var)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"could not read the demo's reviews: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _discover_here() -> list[dict]:
    import django

    django.setup()
    from django.urls import reverse

    from cyberbasics.assess.scoring import applicable_questions
    from cyberbasics.web import demo
    from cyberbasics.web.businesses.models import Membership
    from cyberbasics.web.reviews.core import business_facts, catalogue

    cat = catalogue()
    # Questions no condition depends on: changing their answer never changes which
    # questions apply, so every answer leads on to a page that exists.
    conditions = " ".join(q.applies_if or "" for q in cat.questions)
    targets = []
    owners = [a.email for a in demo.ACCOUNTS if a.role == demo.OWNER]
    for membership in Membership.objects.filter(user__email__in=owners, role="owner") \
            .select_related("user", "business").order_by("user__email"):
        business = membership.business
        finished = business.reviews.filter(completed_at__isnull=False).order_by(
            "-completed_at").first()
        open_review = business.reviews.filter(completed_at__isnull=True).first()
        if finished is None or open_review is None:
            continue
        answers = {a.question: a.option for a in open_review.answers.all()}
        questions = []
        for question in applicable_questions(cat, business_facts(open_review), answers):
            valued = [o.id for o in question.options if o.value is not None]
            if f"answer.{question.id}" in conditions or len(valued) < 2:
                continue
            questions.append({"path": reverse("assessment:question", args=(
                business.pk, open_review.pk, question.id)), "options": valued[:2]})
        targets.append({
            "email": membership.user.email, "password": demo.DEMO_PASSWORD,
            "result": reverse("assessment:result", args=(business.pk, finished.pk)),
            "questions": questions})
    return targets


# --- one virtual user -------------------------------------------------------------------------

async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> None:
    page = await client.get("/accounts/sign-in/")
    page.raise_for_status()
    form = form_with(page.text, "password", str(page.url))
    response = await client.post(form["action"], data=sign_in_fields(form, email, password),
                                 headers={"Referer": str(page.url)})
    if response.status_code != 302 or "sign-in" in response.headers.get("location", ""):
        raise RuntimeError(f"{email} could not sign in (HTTP {response.status_code})")


async def virtual_user(client: httpx.AsyncClient, url: str, result_path: str,
                       question: dict, requests: int, deadline: float,
                       timings: dict[str, list[float]] | None, errors: list[str],
                       think: float = 0.0, seed: int = 0) -> None:
    """One signed-in user's requests, until its count or the deadline; between two pages it
    pauses `think` seconds on average (from half to one and a half times that), as a person
    reading would. `timings` None: a warm-up, not counted."""
    rng = random.Random(seed)
    sent = step = 0

    async def pause() -> bool:
        if think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
        return sent < requests and time.monotonic() < deadline

    async def send(endpoint: str, expected: int, method: str, path: str, **kwargs):
        started = time.perf_counter()
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:  # counted, never hidden: the user carries on
            errors.append(f"{endpoint}: {type(exc).__name__} for {path}")
            return None
        _timed(timings, errors, endpoint, started, response, expected)
        return response

    while sent < requests and time.monotonic() < deadline:
        step += 1
        await send("result page", 200, "GET", result_path)
        sent += 1
        if not await pause():
            break
        response = await send(
            "answer a question", 302, "POST", question["path"],
            data={"option": question["options"][step % 2]},
            headers={"X-CSRFToken": client.cookies.get("csrftoken", ""),
                     "Referer": url.rstrip("/") + question["path"]})
        sent += 1
        following = response.headers.get("location") if response is not None else None
        if not following or not await pause():
            continue
        await send("next question page", 200, "GET", following)
        sent += 1
        if not await pause():
            break


def _timed(timings, errors, endpoint: str, started: float, response: httpx.Response,
           expected: int) -> None:
    if timings is not None:
        timings[endpoint].append((time.perf_counter() - started) * 1000)
    if response.status_code != expected:
        errors.append(f"{endpoint}: HTTP {response.status_code} for {response.request.url}")


# --- the server ---------------------------------------------------------------------------------

class Served:
    """`cyberbasics serve` in a temporary folder, its output in a log file."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.var = folder / "var"
        self.log_path = folder / "serve.log"
        self.process: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> Served:
        script = Path(sys.executable).with_name("cyberbasics")
        command = [str(script)] if script.exists() else [
            sys.executable, "-c", "from cyberbasics.cli.main import app; app()"]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CYBERBASICS_DATABASE", "DJANGO_"))}
        env.update(CYBERBASICS_VAR=str(self.var), PYTHONUNBUFFERED="1")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen([*command, "serve", "--port", str(port)], env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_S
        while True:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
            match = URL_LINE.search(text)
            if match and "Ctrl-C stops everything" in text:
                self.url = match.group(1)
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("cyberbasics serve did not start:\n" + text[-3000:])
            time.sleep(0.2)

    def web_pid(self) -> int | None:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid \
                        and b"runner\0web\0" in cmdline:
                    return int(entry.name)
        return None

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the run -----------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


async def _load(url: str, targets: list[dict], users: int, requests: int,
                time_limit: float, think: float) -> dict:
    """Every user signs in first (argon2 takes its time, on purpose) and loads each of its
    pages once uncounted, so every server process and connection has served them before
    (a server just started reads the finished reviews' results on first use); then they all
    load the pages at once, and the clock runs."""
    timings: dict[str, list[float]] = {endpoint: [] for endpoint in ENDPOINTS}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits)
               for _ in range(users)]
    plan = []
    for number in range(users):
        target = targets[number % len(targets)]
        plan.append((target, target["questions"][number // len(targets)
                                                 % len(target["questions"])]))
    try:
        await asyncio.wait_for(asyncio.gather(*(
            sign_in(client, target["email"], target["password"])
            for client, (target, _) in zip(clients, plan, strict=True))), SIGN_IN_S)
        warm = time.monotonic() + SIGN_IN_S
        await asyncio.wait_for(asyncio.gather(*(
            virtual_user(client, url, target["result"], question, 3, warm, None, errors)
            for client, (target, question) in zip(clients, plan, strict=True))), SIGN_IN_S)
        deadline = time.monotonic() + time_limit
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(
            virtual_user(client, url, target["result"], question, requests, deadline,
                         timings, errors, think, seed=number)
            for number, (client, (target, question)) in enumerate(
                zip(clients, plan, strict=True)))),
            time_limit + 60)
        wall = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    return {"timings": timings, "errors": errors, "wall_s": wall,
            "cut_short": time.monotonic() >= deadline}


def benchmark(users: int = 20, requests: int = 50, time_limit: float = 120.0,
              url: str | None = None, var: Path | None = None,
              targets: list[dict] | None = None, think: float | tuple[float, ...] = THINK_S
              ) -> dict:
    """Start `cyberbasics serve` with a fresh demo and load it (or load the one at `url`,
    whose data folder is `var`, or with the pages of `targets` given by hand): one run for
    each think time in `think`."""
    thinks = think if isinstance(think, tuple) else (think,)
    with tempfile.TemporaryDirectory(prefix="cyberbasics-web-load-") as folder:
        if url is None:
            with Served(Path(folder)) as served:
                targets = targets or discover(served.var)
                pid = served.web_pid()
                runs = []
                for pause in thinks:
                    cpu_before = cpu_seconds(pid)
                    figures = _run(served.url, targets, users, requests, time_limit, pause)
                    cpu_after = cpu_seconds(pid)
                    if cpu_before is not None and cpu_after is not None:
                        figures["server_cpu_s"] = cpu_after - cpu_before
                    runs.append(figures)
        else:
            if targets is None:
                if var is None:
                    raise SystemExit("with --url, give --var (its data folder) or the pages "
                                     "(--result-path, --question-path, --options)")
                targets = discover(var)
            runs = [_run(url, targets, users, requests, time_limit, pause) for pause in thinks]
    return {"server": SERVER if url is None else f"the server at {url}", "runs": runs}


def _run(url: str, targets: list[dict], users: int, requests: int, time_limit: float,
         think: float) -> dict:
    targets = [t for t in targets if t["questions"]]
    if not targets:
        raise SystemExit("no demo owner with a finished review and an open one to answer")
    loaded = asyncio.run(_load(url, targets, users, requests, time_limit, think))
    timings = loaded["timings"]
    total = sum(len(v) for v in timings.values())
    endpoints = {}
    for endpoint, values in timings.items():
        endpoints[endpoint] = {"count": len(values), "p50_ms": percentile(values, 0.50),
                               "p95_ms": percentile(values, 0.95),
                               "p99_ms": percentile(values, 0.99),
                               "max_ms": max(values) if values else float("nan")}
    return {"users": users, "requests_per_user": requests, "time_limit_s": time_limit,
            "think_s": think,
            "accounts": sorted({t["email"] for t in targets}), "requests": total,
            "wall_s": loaded["wall_s"], "per_second": total / loaded["wall_s"],
            "endpoints": endpoints, "errors": loaded["errors"][:20],
            "error_count": len(loaded["errors"]), "cut_short": loaded["cut_short"],
            "target_p95_ms": TARGET_P95_MS,
            "target_met": all(endpoints[e]["p95_ms"] < TARGET_P95_MS for e in TARGETED)}


def report(figures: dict) -> list[str]:
    lines = [f"Web load against {figures['server']}:"]
    for run in figures["runs"]:
        pause = (f"pausing {run['think_s']:g} s on average between pages, as people do"
                 if run["think_s"] else "with no pause between pages (the server's ceiling)")
        lines.append(
            f"  {run['users']} concurrent users {pause} (signed in as "
            f"{', '.join(run['accounts'])}): {run['requests']:,} requests in "
            f"{run['wall_s']:.1f} s, {run['per_second']:.0f} requests/s"
            + (" (stopped at the time limit)" if run["cut_short"] else ""))
        if run.get("server_cpu_s") is not None:
            lines.append(f"    the web server's CPU: {run['server_cpu_s']:.1f} s "
                         f"({run['server_cpu_s'] / run['wall_s']:.0%} of one core)")
        for endpoint, row in run["endpoints"].items():
            mark = ""
            if endpoint in TARGETED:
                mark = "  target p95 < {:.0f} ms: {}".format(
                    run["target_p95_ms"], "met" if row["p95_ms"] < run["target_p95_ms"]
                    else "MISSED")
            lines.append(f"    {endpoint:<19} {row['count']:>5}  p50 {row['p50_ms']:6.1f} ms  "
                         f"p95 {row['p95_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms{mark}")
        if run["error_count"]:
            lines.append(f"    {run['error_count']} unexpected answers, e.g. "
                         + "; ".join(run["errors"][:3]))
    return lines


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "discover":
        print(json.dumps(_discover_here()))
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="requests per user")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds, at most")
    parser.add_argument("--url", help="a running `cyberbasics serve` (loopback) instead of "
                                      "starting one")
    parser.add_argument("--var", type=Path, help="with --url: its data folder (the demo's "
                                                 "reviews are read from its database)")
    parser.add_argument("--email", default="owner@florist.example",
                        help="with --result-path: the account to sign in as")
    parser.add_argument("--password", help="its password (default: the demo's)")
    parser.add_argument("--result-path", help="the result page to load (default: found in "
                                              "the demo data)")
    parser.add_argument("--question-path", help="the question page to answer")
    parser.add_argument("--options", nargs=2, metavar="OPTION",
                        help="two options of that question, to alternate")
    parser.add_argument("--think", type=float, nargs="+", default=[THINK_S],
                        metavar="SECONDS", help="mean pause between a user's pages; several: "
                                                "one run each (0: no pause)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.url and not re.match(r"http://(127\.\d+\.\d+\.\d+|localhost|\[::1\])[:/]",
                                 args.url):
        parser.error("--url must be a loopback address")
    targets = None
    if args.result_path or args.question_path:
        if not (args.result_path and args.question_path and args.options):
            parser.error("--result-path, --question-path and --options go together")
        from cyberbasics.web.demo import DEMO_PASSWORD

        targets = [{"email": args.email, "password": args.password or DEMO_PASSWORD,
                    "result": args.result_path,
                    "questions": [{"path": args.question_path, "options": args.options}]}]
    figures = benchmark(args.users, args.requests, args.time_limit, args.url, args.var,
                        targets, tuple(args.think))
    print("\n".join(report(figures)))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if not any(run["error_count"] for run in figures["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
