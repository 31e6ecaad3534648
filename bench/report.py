"""The benchmark's table (run by bench/run.sh; see bench/README.md).

    python bench/report.py WORKDIR

Reads WORKDIR/<endpoint>.json (wrk's `BENCH_JSON` line), WORKDIR/queries.json and WORKDIR/config.json, prints a
Markdown report (machine, configuration, results, targets) and writes it to WORKDIR/report.md.
"""
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name (bench/seed.py's request files), label, request, kind (the targets are per kind)
ENDPOINTS = [
    ("bare", "bare Django view", "GET /bench/bare", "bare"),
    ("clients_list", "list clients", "GET /api/clients?limit=20", "list"),
    ("client_retrieve", "retrieve client", "GET /api/clients/{id}", "retrieve"),
    ("client_activity", "list a client's activity", "GET /api/clients/{id}/activity?limit=20", "list"),
    ("services_list", "list services", "GET /api/services?limit=20", "list"),
    ("service_retrieve", "retrieve service", "GET /api/services/{id}", "retrieve"),
    ("orders_list", "list orders", "GET /api/orders?limit=20", "list"),
    ("orders_list_filtered", "list orders, filtered", "GET /api/orders?limit=20&filters[status][$eq]=1", "list"),
    ("order_retrieve", "retrieve order", "GET /api/orders/{id} (1,000 ids)", "retrieve"),
    ("order_tasks", "list an order's tasks", "GET /api/orders/{id}/tasks", "list"),
    ("order_messages", "list an order's messages", "GET /api/orders/{id}/messages", "list"),
    ("proposals_list", "list proposals", "GET /api/proposals?limit=20", "list"),
    ("proposal_retrieve", "retrieve proposal", "GET /api/proposals/{id}", "retrieve"),
    ("invoices_list", "list invoices", "GET /api/invoices?limit=20", "list"),
    ("invoice_retrieve", "retrieve invoice", "GET /api/invoices/{id}", "retrieve"),
    ("coupons_list", "list coupons", "GET /api/coupons?limit=20", "list"),
    ("coupon_retrieve", "retrieve coupon", "GET /api/coupons/{id}", "retrieve"),
    ("subscriptions_list", "list subscriptions", "GET /api/subscriptions?limit=20", "list"),
    ("subscription_retrieve", "retrieve subscription", "GET /api/subscriptions/{id}", "retrieve"),
    ("tickets_list", "list tickets", "GET /api/tickets?limit=20", "list"),
    ("ticket_retrieve", "retrieve ticket", "GET /api/tickets/{id}", "retrieve"),
    ("ticket_messages", "list a ticket's messages", "GET /api/tickets/{id}/messages?limit=20", "list"),
    ("engagements_list", "list engagements", "GET /api/engagements?limit=20", "list"),
    ("engagement_retrieve", "retrieve engagement", "GET /api/engagements/{id}", "retrieve"),
    ("projects_list", "list projects", "GET /api/projects?limit=20", "list"),
    ("project_retrieve", "retrieve project", "GET /api/projects/{id}", "retrieve"),
    ("conversations_list", "list conversations", "GET /api/conversations?limit=20", "list"),
    ("conversation_retrieve", "retrieve conversation", "GET /api/conversations/{id}", "retrieve"),
    ("conversation_messages", "list a conversation's messages", "GET /api/conversations/{id}/messages?limit=20",
     "list"),
    ("tags_list", "list tags", "GET /api/tags?limit=20", "list"),
    ("tag_retrieve", "retrieve tag", "GET /api/tags/{id}", "retrieve"),
    ("team_list", "list team", "GET /api/team?limit=20", "list"),
    ("team_retrieve", "retrieve team member", "GET /api/team/{id}", "retrieve"),
    ("events_list", "list events", "GET /api/events?limit=20", "list"),
    ("event_retrieve", "retrieve event", "GET /api/events/{id}", "retrieve"),
    ("webhook_endpoints_list", "list webhook endpoints", "GET /api/webhook-endpoints?limit=20", "list"),
    ("webhook_endpoint_retrieve", "retrieve webhook endpoint", "GET /api/webhook-endpoints/{id}", "retrieve"),
    ("webhook_deliveries", "list an endpoint's deliveries", "GET /api/webhook-endpoints/{id}/deliveries?limit=20",
     "list"),
    ("search", "search", "GET /api/search?q=… (100 queries)", "search"),
    ("report_summary", "summary report", "GET /api/reports/summary", "report"),
    ("report_revenue", "revenue report", "GET /api/reports/revenue", "report"),
    ("report_receivables", "receivables report", "GET /api/reports/receivables", "report"),
    ("report_workload", "workload report", "GET /api/reports/workload", "report"),
    ("order_update", "update order", "PUT /api/orders/{id} (note, status)", "update"),
    ("task_complete", "complete / reopen task", "POST|DELETE /api/order-tasks/{id}/complete", "workflow"),
    ("order_create", "create order", "POST /api/orders", "create"),
]
# Targets of issue 12: throughput as a share of the bare view's, per kind (updates, workflow actions, the search and
# the reports have none: they are measured, not targeted).
SHARE_TARGETS = {"list": 0.12, "retrieve": 0.25, "create": 0.08}
TAIL_RATIO = 3  # p99 <= 3 × p50


def machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    return [
        f"- CPUs: {cpus} ({model.group(1).strip() if model else platform.processor() or 'unknown model'})",
        f"- Memory: {int(mem.group(1)) / 1024 / 1024:.1f} GiB" if mem else "- Memory: unknown",
        f"- OS: {platform.platform()}",
        f"- PostgreSQL: {postgres_version()}",
        (
            f"- Python {platform.python_version()}, Django {package_version('django')}, "
            f"DRF {package_version('djangorestframework')}, gunicorn {package_version('gunicorn')}, "
            f"psycopg {package_version('psycopg')}"
        ),
        f"- {wrk_version()}",
    ]


def package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def postgres_version() -> str:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def wrk_version() -> str:
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).splitlines()[0].strip()


def run_errors(run: dict) -> int:
    return run["non_2xx_3xx"] + run["connect"] + run["read"] + run["write"] + run["timeout"]


def sample_number(path: Path) -> int:
    return int(path.stem.split("_")[1])


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def main() -> None:
    workdir = Path(sys.argv[1])
    config = json.loads((workdir / "config.json").read_text())
    queries = json.loads((workdir / "queries.json").read_text())
    api = (workdir / "endpoints").read_text().split()  # in the order bench/run.sh measured them
    endpoints = [e for e in ENDPOINTS if e[0] == "bare" or e[0] in api]
    unknown = set(api) - {e[0] for e in ENDPOINTS}
    if unknown:
        raise SystemExit(f"bench/report.py: add {sorted(unknown)} to ENDPOINTS")
    runs = {name: json.loads((workdir / f"{name}.json").read_text()) for name in api}
    bare_runs = [json.loads(path.read_text()) for path in sorted(workdir.glob("bare_*.json"), key=sample_number)]
    rps = {name: r["requests"] / (r["duration_us"] / 1e6) for name, r in runs.items()}
    bare_rps = [r["requests"] / (r["duration_us"] / 1e6) for r in bare_runs]
    # The bare view ran before and after each endpoint: an endpoint's share is against the mean of those two.
    bare_around = {name: (bare_rps[i] + bare_rps[i + 1]) / 2 for i, name in enumerate(api)}
    median = sorted(range(len(bare_runs)), key=lambda i: bare_rps[i])[len(bare_runs) // 2]
    runs["bare"], rps["bare"] = bare_runs[median], bare_rps[median]
    share = {name: rps[name] / bare_around[name] for name in api} | {"bare": 1.0}
    errors = {name: run_errors(r) for name, r in runs.items()}
    errors["bare"] = sum(run_errors(r) for r in bare_runs)  # every bare run counts, not only the median one

    lines = ["## Machine", "", *machine(), "", "## Configuration", ""]
    lines += [
        (
            f"- gunicorn: {config['workers']} workers × {config['threads']} threads "
            f"({'gthread' if int(config['threads']) > 1 else 'sync'} worker), production settings "
            "(DEBUG=false, persistent connections), `BENCHMARK_ENDPOINTS=true`, rate-limit counters in "
            f"{config.get('cache', '?')}"
        ),
        (
            f"- wrk: {config['wrk_threads']} threads, {config['connections']} connections, "
            f"{config['warmup']} s warm-up then {config['duration']} s measured per endpoint, "
            f"{config['timeout']} s request timeout, on the same machine"
        ),
        f"- data: {config['volumes']}",
        (
            f"- load average (1, 5, 15 min) before the run: {config['load_before']}; after: "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
            + " (anything above ~0 before the run is other work sharing the 2 cores)"
        ),
        "",
        "## Results",
        "",
        "| endpoint | request | req/s | p50 ms | p99 ms | p99/p50 | errors | SQL/request | vs bare |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label, request, _kind in endpoints:
        r = runs[name]
        ratio = r["p99_us"] / r["p50_us"] if r["p50_us"] else float("inf")
        shown = request.replace("|", "\\|")  # a pipe inside a Markdown table cell ends the cell
        lines.append(
            f"| {label} | `{shown}` | {rps[name]:.0f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | {ratio:.1f} | "
            f"{errors[name]} | {queries.get(name, '?')} | {share[name]:.1%} |"
        )
    samples = ", ".join(f"{x:.0f}" for x in bare_rps)
    lines += [
        "",
        (
            f"The bare view ran before and after every endpoint: its row is the median of those {len(bare_rps)} runs "
            f"(req/s: {samples}); each endpoint's share is against the mean of the two bare runs around it."
        ),
        "Errors = non-2xx/3xx responses + socket errors (connect, read, write, timeout).",
        "",
        "## Targets",
        "",
    ]
    for kind, target in SHARE_TARGETS.items():
        members = [(name, label) for name, label, _request, k in endpoints if k == kind]
        missed = [f"{label} {share[name]:.1%}" for name, label in members if share[name] < target]
        lowest = min((share[name] for name, _label in members), default=None)
        lines.append(
            f"- every {kind} ≥ {target:.0%} of the bare view ({len(members)} endpoints, lowest "
            + (f"{lowest:.1%}" if lowest is not None else "n/a") + "): "
            + ("met" if not missed else "NOT met (" + ", ".join(missed) + ")")
        )
    api_runs = [(name, runs[name]) for name in api]
    slow_tails = [
        n for n, r in [*api_runs, *((f"bare_{i}", r) for i, r in enumerate(bare_runs))]
        if r["p50_us"] and r["p99_us"] > TAIL_RATIO * r["p50_us"]
    ]
    lines.append(
        f"- p99 ≤ {TAIL_RATIO}× p50 on every endpoint: "
        + ("met" if not slow_tails else "NOT met (" + ", ".join(slow_tails) + ")")
    )
    failing = [n for n, e in errors.items() if e]
    lines.append("- zero errors: " + ("met" if not failing else "NOT met (" + ", ".join(failing) + ")"))
    report = "\n".join(lines) + "\n"
    (workdir / "report.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
