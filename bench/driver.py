"""The TracePass benchmark suite (run it with ./bench/run; see bench/README.md).

For each backend: a fresh database, a workspace made with the CLI, `tracepass serve`
started as a user would, products and published passports seeded through the API
bulk path, then wrk (a separate process) drives every scenario. Results go to
bench/results/<timestamp>.json and .md, and the table is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import seed

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA = BENCH / "lua"
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"  # server output of the last run (not committed)
VENV_BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH_URL = "postgresql://postgres@127.0.0.1:5432/tracepass_bench"
SCALE_LOW = 10_000
BATCH = 100
PRODUCTS = 8


# --- command line --------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        action="store_true",
        help="small N, short runs (the default): 1,000 passports, scale point 100,000",
    )
    mode.add_argument(
        "--full",
        action="store_true",
        help="10,000 passports, longer runs, scale point 1,000,000",
    )
    parser.add_argument("--n", type=int, help="passports seeded through the API")
    parser.add_argument("--scale-n", type=int, help="passports at the high scale point")
    parser.add_argument("--duration", type=int, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (2 cores: keep 1)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--issue-connections",
        type=int,
        default=4,
        help="connections for issue-run (each request carries 100 passports)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma list of scenarios to run (ceiling always runs): "
        "starlette-ref,scan-json,scan-html,api-read,api-write,issue-run,scale",
    )
    args = parser.parse_args(argv)
    full = args.full
    args.n = args.n or (10_000 if full else 1_000)
    args.scale_n = args.scale_n or (1_000_000 if full else 100_000)
    args.duration = args.duration or (20 if full else 6)
    args.warmup = 3 if full else 2
    args.mode = "full" if full else "quick"
    return args


def wanted(args: argparse.Namespace, scenario: str) -> bool:
    return not args.only or scenario in args.only.split(",")


# --- machine and processes -----------------------------------------------------------


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        total_kb = int(info.readline().split()[1])
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(total_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": wrk_version.splitlines()[0] if wrk_version else "unknown",
        "load_at_start": load_average(),
    }


def git_commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    )
    return result.stdout.strip() or "unknown"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, log_path: Path) -> Iterator[str]:
    """Start a server in its own process group; yield its base URL; stop it."""
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            command, env=env, stdout=log_file, stderr=log_file, start_new_session=True, cwd=ROOT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited ({process.returncode}); see {log_path}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not come up; see {log_path}")
            time.sleep(0.2)
        yield base
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- wrk -----------------------------------------------------------------------------


@dataclass
class Load:
    url: str
    script: str
    env: dict[str, str]
    connections: int
    timeout: str = "10s"


def run_wrk(load: Load, seconds: int, threads: int) -> dict[str, Any]:
    threads = min(threads, load.connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{load.connections}",
        f"-d{seconds}s",
        f"--timeout={load.timeout}",
        "--latency",
        "-s",
        str(LUA / load.script),
        load.url,
    ]
    # A fresh tag per wrk run keeps generated models and serials distinct across runs.
    tag = f"{time.time_ns() // 1_000_000 % 10**10:x}"
    env = {**os.environ, "BENCH_LUA_DIR": str(LUA), "BENCH_TAG": tag, **load.env}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)
    match = re.search(r"^BENCH_RESULT (\{.*\})$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed: {result.stderr or result.stdout}")
    raw = json.loads(match.group(1))
    seconds_run = raw["duration_us"] / 1e6
    errors = raw["errors"]
    return {
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "requests": raw["requests"],
        "seconds": round(seconds_run, 2),
        "non_2xx": errors["status"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "connections": load.connections,
    }


def measure(
    name: str, load: Load, args: argparse.Namespace, paired_ceiling: Load | None = None
) -> dict[str, Any]:
    """One wrk run after a warm-up. With `paired_ceiling`, that load is measured right
    before, so the scenario's ratio compares two runs under the same machine load."""
    run_wrk(load, args.warmup, args.threads)
    paired = None
    if paired_ceiling is not None:
        paired = run_wrk(paired_ceiling, args.duration, args.threads)
        run_wrk(load, 1, args.threads)  # back to the scenario's connections and caches
    log(f"{name}: measuring {args.duration}s at {load.connections} connections")
    result = run_wrk(load, args.duration, args.threads)
    result["load"] = load_average()
    if paired is not None:
        result["paired_ceiling_rps"] = paired["rps"]
    log(
        f"{name}: {result['rps']} req/s p50 {result['p50_ms']} ms p99 {result['p99_ms']} ms"
        f" non-2xx {result['non_2xx']}"
        + (f" (paired ceiling {paired['rps']} req/s)" if paired else "")
    )
    return result


# --- one backend ---------------------------------------------------------------------


async def reset_postgres() -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute("DROP DATABASE IF EXISTS tracepass_bench WITH (FORCE)")
        await connection.execute("CREATE DATABASE tracepass_bench")
    finally:
        await connection.close()


async def analyze_postgres() -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_BENCH_URL)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def create_workspace(env: dict[str, str]) -> tuple[str, str]:
    result = subprocess.run(
        [
            str(VENV_BIN / "tracepass"),
            "workspace",
            "create",
            "Bench",
            "--plan",
            "enterprise",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    created = json.loads(result.stdout)
    return created["workspaceId"], created["apiKey"]


async def passport_total(base: str, api_key: str) -> int:
    async with seed.api_client(base, api_key, 1) as client:
        response = await client.get("/api/v1/passports", params={"limit": 1})
        return int(response.json()["data"]["total"])


async def seed_via_api(base: str, fleet: seed.Fleet, n: int) -> dict[str, Any]:
    async with seed.api_client(base, fleet.api_key, 16) as client:
        await seed.create_products(client, fleet, PRODUCTS)
        started = time.perf_counter()
        ids = await seed.issue_via_api(client, fleet, 0, n, concurrency=4)
        issued = time.perf_counter() - started
        started = time.perf_counter()
        await seed.publish_via_api(client, ids, concurrency=16)
        published = time.perf_counter() - started
    fleet.passport_ids = ids
    fleet.published = n
    return {
        "passports": n,
        "batch_seconds": round(issued, 2),
        "batch_passports_per_s": round(n / issued, 1),
        "publish_seconds": round(published, 2),
        "publish_per_s": round(n / published, 1),
    }


def scan_load(base: str, fleet: seed.Fleet, n: int, accept: str, args: Any) -> Load:
    env = {"BENCH_N": str(n), "BENCH_GTINS": ",".join(fleet.gtins), "BENCH_ACCEPT": accept}
    return Load(base, "scan.lua", env, args.connections)


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"scenarios": {}}
    scenarios: dict[str, Any] = out["scenarios"]
    data_dir = workdir / backend
    data_dir.mkdir()
    if backend == "postgres":
        asyncio.run(reset_postgres())
        database_url = POSTGRES_BENCH_URL
    else:
        database_url = f"sqlite:///{data_dir / 'bench.db'}"
    port, ref_port = free_port(), free_port()
    env = {
        **os.environ,
        "TRACEPASS_DATABASE_URL": database_url,
        "TRACEPASS_DATA_DIR": str(data_dir),
        "TRACEPASS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TRACEPASS_LOG_LEVEL": "WARNING",
    }
    workspace_id, api_key = create_workspace(env)
    fleet = seed.Fleet(api_key=api_key, workspace_id=workspace_id)
    auth_env = {"BENCH_API_KEY": api_key}

    if wanted(args, "starlette-ref"):
        ref_cmd = [
            str(VENV_BIN / "uvicorn"),
            "starlette_ref:app",
            "--app-dir",
            str(BENCH),
            "--port",
            str(ref_port),
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with server(ref_cmd, env, ref_port, LOGS / "starlette_ref.log") as ref:
            scenarios["starlette-ref"] = measure(
                f"{backend} starlette-ref",
                Load(ref + "/healthz", "plain.lua", {}, args.connections),
                args,
            )

    serve_cmd = [
        str(VENV_BIN / "tracepass"),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--no-access-log",
    ]
    with server(serve_cmd, env, port, LOGS / f"serve_{backend}.log") as base:
        ceiling = Load(base + "/healthz", "plain.lua", {}, args.connections)
        scenarios["ceiling"] = measure(f"{backend} ceiling", ceiling, args)
        log(f"{backend}: seeding {args.n} passports through the API")
        out["seed_api"] = asyncio.run(seed_via_api(base, fleet, args.n))
        log(f"{backend}: seeded {out['seed_api']}")
        if backend == "postgres":
            asyncio.run(analyze_postgres())
        ids_file = workdir / f"ids_{backend}.txt"
        ids_file.write_text("\n".join(fleet.passport_ids) + "\n")

        if wanted(args, "scan-json"):
            scenarios["scan-json"] = measure(
                f"{backend} scan-json",
                scan_load(base, fleet, fleet.published, "application/json", args),
                args,
                ceiling,
            )
        if wanted(args, "scan-html"):
            scenarios["scan-html"] = measure(
                f"{backend} scan-html",
                scan_load(base, fleet, fleet.published, "text/html", args),
                args,
                ceiling,
            )
        if wanted(args, "api-read"):
            scenarios["api-read"] = measure(
                f"{backend} api-read",
                Load(
                    base,
                    "api_read.lua",
                    {**auth_env, "BENCH_IDS_FILE": str(ids_file)},
                    args.connections,
                ),
                args,
                ceiling,
            )
        if wanted(args, "api-write"):
            scenarios["api-write"] = measure(
                f"{backend} api-write",
                Load(base, "api_write.lua", auth_env, args.connections),
                args,
                ceiling,
            )
        if wanted(args, "issue-run"):
            scenarios["issue-run"] = issue_run(base, fleet, args)
        if wanted(args, "scale"):
            scenarios.update(scale(base, fleet, database_url, backend, args, out, ceiling))
    out["load_at_end"] = load_average()
    return out


def issue_run(base: str, fleet: seed.Fleet, args: argparse.Namespace) -> dict[str, Any]:
    env = {
        "BENCH_API_KEY": fleet.api_key,
        "BENCH_PRODUCTS": ",".join(fleet.product_ids),
        "BENCH_GTINS": ",".join(fleet.gtins),
        "BENCH_BATCH": str(BATCH),
    }
    load = Load(base, "issue_run.lua", env, args.issue_connections)
    load.timeout = "60s"
    run_wrk(load, args.warmup, args.threads)
    before = asyncio.run(passport_total(base, fleet.api_key))
    log(f"issue-run: measuring {args.duration}s at {load.connections} connections")
    result = run_wrk(load, args.duration, args.threads)
    after = asyncio.run(passport_total(base, fleet.api_key))
    result["passports_created"] = after - before
    result["passports_per_s"] = round((after - before) / result["seconds"], 1)
    result["load"] = load_average()
    log(
        f"issue-run: {result['passports_per_s']} passports/s ({result['rps']} batches/s)"
        f" p99 {result['p99_ms']} ms"
    )
    return result


def scale(
    base: str,
    fleet: seed.Fleet,
    database_url: str,
    backend: str,
    args: argparse.Namespace,
    out: dict[str, Any],
    ceiling: Load,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    out["seed_direct"] = []
    for point in (SCALE_LOW, args.scale_n):
        if fleet.published < point:
            added = point - fleet.published
            log(f"{backend}: direct bulk seeding up to {point} published passports")
            seconds = asyncio.run(
                seed.publish_directly(
                    database_url,
                    fleet,
                    base,
                    point,
                    progress=lambda done, t: log(f"  {done} published ({t:.0f}s)"),
                )
            )
            if backend == "postgres":
                asyncio.run(analyze_postgres())
            out["seed_direct"].append(
                {
                    "to": point,
                    "added": added,
                    "seconds": round(seconds, 1),
                    "passports_per_s": round(added / seconds, 1),
                }
            )
        results[f"scale-{point}"] = measure(
            f"{backend} scan-json at {point}",
            scan_load(base, fleet, point, "application/json", args),
            args,
            ceiling,
        )
    return results


# --- report --------------------------------------------------------------------------

ORDER = ("ceiling", "starlette-ref", "scan-json", "scan-html", "api-read", "api-write")


def add_ratios(backend_result: dict[str, Any]) -> None:
    scenarios = backend_result["scenarios"]
    ceiling = scenarios.get("ceiling", {}).get("rps")
    ref = scenarios.get("starlette-ref", {}).get("rps")
    for result in scenarios.values():
        paired = result.get("paired_ceiling_rps") or ceiling
        if paired:
            result["x_ceiling"] = round(result["rps"] / paired, 3)
        if ref:
            result["x_starlette_ref"] = round(result["rps"] / ref, 3)
    scale_points = sorted(
        (int(name.split("-")[1]), r) for name, r in scenarios.items() if name.startswith("scale-")
    )
    if len(scale_points) == 2:
        (_, low), (_, high) = scale_points
        # Each point against its own paired ceiling: the two runs are minutes apart.
        if "paired_ceiling_rps" in low and "paired_ceiling_rps" in high:
            high["x_scale_low"] = round(high["x_ceiling"] / low["x_ceiling"], 3)
        else:
            high["x_scale_low"] = round(high["rps"] / low["rps"], 3)


def _row(name: str, r: dict[str, Any]) -> str:
    extra = []
    if "passports_per_s" in r:
        extra.append(f"{r['passports_per_s']:,.0f} passports/s")
    if "x_scale_low" in r:
        extra.append(f"{r['x_scale_low']:.2f}× the 10k point")
    if r["non_2xx"] or r["socket_errors"]:
        extra.append(f"non-2xx {r['non_2xx']}, socket errors {r['socket_errors']}")
    return (
        f"| {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
        f"{r.get('x_ceiling', 0):.2f} | {r.get('x_starlette_ref', 0):.2f} | "
        f"{r['connections']} | {'; '.join(extra)} |"
    )


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"## Bench {report['started']} ({report['mode']}, commit {report['commit']})",
        "",
        f"{m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"{m['wrk']}; server `--workers {report['args']['workers']}`, wrk "
        f"`-t{report['args']['threads']}`, {report['args']['duration']} s per run; "
        f"load average at start {m['load_at_start']}.",
        "",
    ]
    for backend, result in report["backends"].items():
        seeded = result.get("seed_api", {})
        lines += [
            f"### {backend}",
            "",
            "| scenario | req/s | p50 ms | p99 ms | × ceiling | × starlette-ref | conns | notes |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        scenarios = result["scenarios"]
        names = [n for n in ORDER if n in scenarios]
        names += [n for n in scenarios if n not in ORDER]
        lines += [_row(name, scenarios[name]) for name in names]
        lines.append("")
        if seeded:
            lines.append(
                f"API seeding of {seeded['passports']:,} passports: batch create "
                f"{seeded['batch_passports_per_s']:,.0f}/s, "
                f"publish {seeded['publish_per_s']:,.0f}/s."
            )
        for step in result.get("seed_direct", []):
            lines.append(
                f"Direct bulk seeding to {step['to']:,}: {step['added']:,} published passports "
                f"in {step['seconds']} s ({step['passports_per_s']:,.0f}/s)."
            )
        lines += [f"Load average at the end: {result.get('load_at_end')}.", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": args.mode,
        "commit": git_commit(),
        "machine": machine(),
        "args": {k: v for k, v in vars(args).items() if not k.startswith("_")},
        "backends": {},
    }
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in LOGS.glob("*.log"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="tracepass-bench-") as tmp:
        for backend in backends:
            log(f"=== {backend} ===")
            result = run_backend(backend, args, Path(tmp))
            add_ratios(result)
            report["backends"][backend] = result
    report["finished"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stem = RESULTS / started.strftime("%Y%m%dT%H%M%SZ")
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    stem.with_suffix(".md").write_text(table + "\n")
    print(table)
    log(f"wrote {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
