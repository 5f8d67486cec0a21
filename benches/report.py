#!/usr/bin/env python3
"""Runs pegboard's benchmark suite (SPEC P, issue 5) and writes BENCHMARKS.md.

    python3 benches/report.py                # everything (about 15-25 minutes, more on a cold build)
    python3 benches/report.py --render-only  # rewrite BENCHMARKS.md from the last run's numbers

Steps:
  1. `cargo bench -p pegboard-benches --bench '*' -- --noplot`: the registry,
     dispatch, resolve and remote criterion benches (linkme backend).
     `--bench '*'` selects the four bench targets only: without it cargo also
     builds the library's own (libtest) bench harness, which rejects `--noplot`;
  2. `cargo bench -p pegboard-benches --features inventory --bench registry -- p1 --noplot`:
     P1 again with the inventory backend;
  3. whole-process time of `target/release/pegboard plugins list` against the
     same binary's `--version` (median of 20 runs each);
  4. the build-time cost of `#[pegboard::plugin]`: two throwaway crates in
     target/macro-cost/ with 1,000 plugin structs, with and without the
     attribute, each built with `cargo build --release` twice (the first warms
     the dependencies; the second, after touching src/lib.rs, is timed);
  5. BENCHMARKS.md at the repository root: one table of medians, the
     baseline's median measured in the same run, the ratio and the goal.

Medians are criterion's median point estimates
(target/criterion/<group>/<function>[/<param>]/new/estimates.json); only
estimates written by this run are used, so a benchmark that did not run (not
written yet, failed to build) shows as "missing". Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "target"
CRITERION = TARGET / "criterion"
SNAPSHOT = TARGET / "bench-report" / "results.json"
OUTPUT = ROOT / "BENCHMARKS.md"
PACKAGE = "pegboard-benches"

# criterion group -> the bench target that writes it
TARGETS = {
    "registry": ["p1_registry_build", "p1_discover", "p2_lookup"],
    "dispatch": ["p3a_supervised_call", "p3b_fan_out"],
    "resolve": ["p4a_resolve", "p4b_config_validation"],
    "remote": ["p5_remote_invoke"],
}
P1_SIZES = [10, 100, 1000, 10000]
P3B_SIZES = [1, 10, 100]
PROCESS_RUNS = 20
MACRO_PLUGINS = 1000


def log(msg: str) -> None:
    print(f"[report] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw) -> int:
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, cwd=kw.pop("cwd", ROOT), **kw).returncode


def capture(cmd: list[str]) -> str:
    try:
        return subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ---------------------------------------------------------------- criterion


def read_estimates(groups: list[str], since: float) -> dict[str, float]:
    """Median point estimates (ns) of every benchmark of `groups` written
    after `since`, by id `group/function[/param]`."""
    found: dict[str, float] = {}
    for group in groups:
        base = CRITERION / group
        if not base.is_dir():
            continue
        for path in base.glob("**/new/estimates.json"):
            if path.stat().st_mtime < since:
                continue  # stale: left by an earlier run
            bench_id = path.parent.parent.relative_to(CRITERION).as_posix()
            try:
                found[bench_id] = json.loads(path.read_text())["median"]["point_estimate"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                log(f"cannot read {path}: {e}")
    return found


def criterion_linkme() -> dict[str, float]:
    groups = [g for gs in TARGETS.values() for g in gs]
    start = time.time() - 1
    rc = run(
        ["cargo", "bench", "-p", PACKAGE, "--bench", "*", "--no-fail-fast", "--", "--noplot"]
    )
    found = read_estimates(groups, start)
    if rc != 0:
        # One target failing to build stops all of them: run the others alone.
        for target, target_groups in TARGETS.items():
            if any(k.split("/")[0] in target_groups for k in found):
                continue
            log(f"`cargo bench` failed (exit {rc}); running --bench {target} alone")
            start = time.time() - 1
            run(["cargo", "bench", "-p", PACKAGE, "--bench", target, "--", "--noplot"])
            found.update(read_estimates(target_groups, start))
    return found


def criterion_inventory() -> dict[str, float]:
    start = time.time() - 1
    rc = run(
        ["cargo", "bench", "-p", PACKAGE, "--features", "inventory", "--bench", "registry"]
        + ["--", "p1", "--noplot"]
    )
    if rc != 0:
        log(f"inventory run failed (exit {rc})")
    return read_estimates(["p1_registry_build", "p1_discover"], start)


# ---------------------------------------------------------- outside criterion


def process_times() -> dict:
    if run(["cargo", "build", "--release", "-p", "pegboard-app"]) != 0:
        log("cannot build pegboard-app")
        return {}
    binary = TARGET / "release" / ("pegboard.exe" if os.name == "nt" else "pegboard")
    # No PEGBOARD__ overrides from the caller's shell.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEGBOARD")}
    commands = {"plugins list": ["plugins", "list"], "--version": ["--version"]}
    listed = subprocess.run(
        [str(binary), "plugins", "list"], capture_output=True, text=True, env=env
    )
    if listed.returncode != 0:
        log(f"`pegboard plugins list` failed: {listed.stderr.strip()}")
        return {}
    times: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(3):  # warm the page cache
        for args in commands.values():
            subprocess.run([str(binary), *args], stdout=subprocess.DEVNULL, env=env)
    for _ in range(PROCESS_RUNS):  # interleaved, so both see the same noise
        for name, args in commands.items():
            t0 = time.perf_counter()
            subprocess.run(
                [str(binary), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
            )
            times[name].append(time.perf_counter() - t0)
    return {
        "list_s": statistics.median(times["plugins list"]),
        "version_s": statistics.median(times["--version"]),
        "list_output_lines": len(listed.stdout.strip().splitlines()),
    }


MACRO_KIND = """#[pegboard::kind]
pub trait Bench {
    fn value(&self) -> u64;
}
"""


def write_macro_crate(directory: Path, name: str, with_attribute: bool) -> None:
    (directory / "src").mkdir(parents=True, exist_ok=True)
    core = (ROOT / "core").as_posix()
    (directory / "Cargo.toml").write_text(
        f"""[package]
name = "{name}"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
pegboard = {{ path = "{core}" }}

# Not a member of the pegboard workspace.
[workspace]
"""
    )
    lines = [f"// @generated by benches/report.py: {MACRO_PLUGINS} plugin structs", MACRO_KIND]
    for i in range(1, MACRO_PLUGINS + 1):
        attr = (
            f'#[pegboard::plugin(name = "p{i:05}", version = "0.1.0", api = "0.1", kind = Bench)] '
            if with_attribute
            else ""
        )
        lines.append(
            f"#[derive(Default)] {attr}pub struct P{i:05}; "
            f"impl Bench for P{i:05} {{ fn value(&self) -> u64 {{ {i} }} }}"
        )
    (directory / "src" / "lib.rs").write_text("\n".join(lines) + "\n")
    # The workspace's lock file: the same dependency versions, no resolution.
    shutil.copyfile(ROOT / "Cargo.lock", directory / "Cargo.lock")


def macro_cost() -> dict:
    base = TARGET / "macro-cost"
    env = dict(os.environ, CARGO_TARGET_DIR=str(base / "target"))
    result = {}
    for key, with_attribute in [("with_s", True), ("without_s", False)]:
        name = "macro-cost-" + ("with" if with_attribute else "without")
        crate = base / name
        write_macro_crate(crate, name, with_attribute)
        if run(["cargo", "build", "--release", "--quiet"], cwd=crate, env=env) != 0:
            log(f"cannot build {crate}")
            return {}
        (crate / "src" / "lib.rs").touch()
        t0 = time.perf_counter()
        rc = run(["cargo", "build", "--release", "--quiet"], cwd=crate, env=env)
        result[key] = time.perf_counter() - t0
        if rc != 0:
            return {}
    result["plugins"] = MACRO_PLUGINS
    return result


# -------------------------------------------------------------------- report


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "unknown"
    return {
        "nproc": capture(["nproc"]) if shutil.which("nproc") else str(os.cpu_count()),
        "cpu": model,
        "rustc": capture(["rustc", "--version"]),
        "os": f"{platform.system()} {platform.release()}",
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load": load,
    }


def fmt_time(ns: float | None) -> str:
    if ns is None:
        return "missing"
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


class Table:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.failed: list[str] = []

    def row(
        self,
        name: str,
        median: float | None,
        baseline: str,
        base_median: float | None,
        limit: float | None,
        goal: str | None = None,
        fmt=fmt_time,
    ) -> None:
        if median is None or base_median is None or base_median == 0:
            ratio, holds = "missing", "missing"
        else:
            r = median / base_median
            ratio = f"{r:.3g}×" if r < 100 else f"{r:.0f}×"
            if limit is None:
                holds = "—"
            elif r <= limit:
                holds = "yes"
            else:
                holds = "**no**"
                self.failed.append(name)
        if goal is None:
            goal = f"≤ {limit:g}×" if limit is not None else "report"
        self.rows.append([name, fmt(median), baseline, fmt(base_median), ratio, goal, holds])

    def markdown(self) -> str:
        head = ["benchmark", "median", "baseline", "baseline median", "ratio", "goal", "holds?"]
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(out)


def build_table(res: dict) -> Table:
    main, inv = res.get("linkme", {}), res.get("inventory", {})
    proc, mac = res.get("process", {}), res.get("macro", {})
    t = Table()

    def p1(est: dict, fn: str, n: int):
        return est.get(f"p1_registry_build/{fn}/{n}")

    for n in P1_SIZES:
        t.row(f"P1 registry build, linkme, N = {n:,}", p1(main, "linkme", n),
              "static array", p1(main, "baseline", n), 2.0)
    per = lambda v, n: None if v is None else v / n  # noqa: E731
    t.row("P1 linkme per plugin, N = 10,000 vs N = 100",
          per(p1(main, "linkme", 10000), 10000), "linkme per plugin, N = 100",
          per(p1(main, "linkme", 100), 100), 1.5, "≤ 1.5× (linear)",
          fmt=lambda v: "missing" if v is None else fmt_time(v) + "/plugin")
    for n in P1_SIZES:
        t.row(f"P1 registry build, inventory, N = {n:,}", p1(inv, "inventory", n),
              "static array (same run)", p1(inv, "baseline", n), None)
    t.row("P1 discovery alone (every compiled-in descriptor), inventory",
          inv.get("p1_discover/inventory"), "linkme", main.get("p1_discover/linkme"), None)

    t.row("P2 typed lookup `get::<dyn Bench>`, N = 1,000", main.get("p2_lookup/pegboard"),
          "`HashMap<&str, Arc<dyn Bench>>`", main.get("p2_lookup/hashmap"), 1.5)
    t.row("P3a supervised call (keywords classifier, ~1 KiB)",
          main.get("p3a_supervised_call/pegboard"), "direct call",
          main.get("p3a_supervised_call/direct"), 1.10)
    for n in P3B_SIZES:
        t.row(f"P3b fan-out to {n} plugin{'s' if n > 1 else ''}",
              main.get(f"p3b_fan_out/pegboard/{n}"), "direct calls in a loop",
              main.get(f"p3b_fan_out/direct/{n}"), 1.15 if n >= 10 else None)
    t.row("P4a dependency resolution, 10,000 plugins / 50,000 edges",
          main.get("p4a_resolve/pegboard"), "`petgraph::algo::toposort`",
          main.get("p4a_resolve/petgraph"), 1.0)
    if "p4a_resolve/pegboard_with_build" in main:
        t.row("P4a including building the graph", main.get("p4a_resolve/pegboard_with_build"),
              "petgraph including building the graph",
              main.get("p4a_resolve/petgraph_with_build"), None)
    t.row("P4b config validation, 1,000 sections", main.get("p4b_config_validation/pegboard"),
          "plain `serde` deserialization", main.get("p4b_config_validation/serde"), 3.0)
    t.row("P5 remote Invoke (plugin served `add_inline`) vs bare tonic unary, ~1 KiB payload",
          main.get("p5_remote_invoke/pegboard"), "bare `tonic` unary call, same bytes",
          main.get("p5_remote_invoke/tonic_unary"), 1.3)
    t.row("P5 the same, plugin served with `add` (calls on the blocking pool; report)",
          main.get("p5_remote_invoke/pegboard_blocking_pool"), "bare `tonic` unary call, same bytes",
          main.get("p5_remote_invoke/tonic_unary"), None)

    s = lambda key, d: None if d.get(key) is None else d[key] * 1e9  # noqa: E731
    t.row("process: `pegboard plugins list` (default plugins)", s("list_s", proc),
          "`pegboard --version`", s("version_s", proc), None)
    t.row(f"build: {mac.get('plugins', MACRO_PLUGINS):,} plugin structs with `#[pegboard::plugin]`",
          s("with_s", mac), "the same structs without it", s("without_s", mac), None)
    return t


def render(res: dict) -> str:
    m = res.get("machine", {})
    table = build_table(res)
    proc, mac = res.get("process", {}), res.get("macro", {})
    failed = ", ".join(table.failed) if table.failed else "none"
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python3 benches/report.py` (SPEC P, issue 5); do not edit by hand.",
        "",
        f"- machine: {m.get('nproc', '?')} cores ({m.get('cpu', '?')}), {m.get('os', '?')}, "
        f"load average at start {m.get('load', '?')}",
        f"- toolchain: {m.get('rustc', '?')}",
        f"- date: {m.get('date', '?')}",
        "",
        "Medians of criterion's estimates. **ratio** = median / baseline median, both measured in",
        "the same run (the machine is shared and noisy: compare ratios; absolute times are context).",
        "",
        table.markdown(),
        "",
        f"Goals not met: {failed}.",
        "",
        "## How each row is measured",
        "",
        "- The bench binaries link `pegboard-benches`, whose build script generates 10,000 plugins",
        "  of kind `bench` through the real `#[pegboard::plugin]` macro (and so the real",
        "  registration backend), plus `BASELINE`, the same plugins as a hand-written static array.",
        "- **P1** (`benches/benches/registry.rs`): `compiled_in()` (every registered descriptor),",
        "  the first N of kind `bench`, `Registry::builder().descriptors(..).build()` (catalog,",
        "  metadata checks, config validation with an empty document, dependency graph, order,",
        "  slots, metrics), and dropping it. Baseline: the same N entries of `BASELINE` sorted by",
        "  (kind, name), indexed in a `HashMap`, each name checked against `[a-z0-9][a-z0-9_-]*`.",
        "  The inventory rows come from a second run built with `--features inventory`, beside",
        "  the baseline of that run. The discovery row times `compiled_in()` alone.",
        "- **P2**: `registry.get::<dyn Bench>(name)` of already-built plugins against",
        "  `HashMap::get(name).cloned()` over the same `Arc`s, cycling through the 1,000 names.",
        "- **P3/P4/P5** (`benches/benches/dispatch.rs`, `benches/benches/resolve.rs`,",
        "  `benches/benches/remote.rs`): see those files.",
        f"- **process**: wall time of `target/release/pegboard plugins list` and `--version`, median of",
        f"  {PROCESS_RUNS} interleaved runs each (`time.perf_counter`), after 3 warm-up runs;"
        + (f" the list printed {proc['list_output_lines']} lines." if proc.get("list_output_lines") else ""),
        f"- **build**: `cargo build --release` of a throwaway crate in `target/macro-cost/` with"
        f" {mac.get('plugins', MACRO_PLUGINS):,}",
        "  `#[derive(Default)]` structs implementing a `#[pegboard::kind]` trait, with and without",
        "  the attribute; built once to warm the dependencies, then timed after touching src/lib.rs.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite BENCHMARKS.md from the numbers of the last run")
    args = ap.parse_args()

    if args.render_only:
        res = json.loads(SNAPSHOT.read_text())
    else:
        res = {"machine": machine()}
        res["linkme"] = criterion_linkme()
        res["inventory"] = criterion_inventory()
        res["process"] = process_times()
        res["macro"] = macro_cost()
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(res, indent=2))

    OUTPUT.write_text(render(res))
    log(f"wrote {OUTPUT.relative_to(ROOT)}")
    print(build_table(res).markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
