#!/usr/bin/python3
"""Distributed build benchmark: the stages run by the Dask driver against
`proberows build` with the same options, in the same session.

Per run, on the same input (docs/distributed.md, "Figures"):
  * `proberows build -j BUILD_WORKERS -m BUILD_MEMORY` (the whole machine);
  * `proberows build -j TASK_WORKERS -m TASK_MEMORY` (one task's share of it);
  * distributed/dask/proberows_dask.py on a local Dask cluster (DASK_WORKERS
    workers of one thread each, every task `-j TASK_WORKERS -m TASK_MEMORY`,
    `--keep-work` so that every task's manifest and files can be measured):
    wall time, each stage's end as the driver reported it, each task's
    seconds / peak RSS / bytes read / bytes written from its manifest, the
    work folder's bytes by kind; and its output compared with the build's,
    byte for byte.
The machine's load average is recorded before and after every command.
From the medians it fits per-task rates and models wall time against
machine count for bigger inputs (--model).

    bench/distributed_bench.py --binary build/release/proberows --runs 3
    bench/distributed_bench.py --report bench/results/distributed.json   # tables again

Input: --data (default bench/data/dist-20m, generated when missing with
`proberows generate -n 20000000 -p 757120 --files 8`). Results: JSON and
Markdown in bench/results/ (--out). Debian python3 + python3-distributed.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "distributed", "dask"))

OPTIONS = ["--static-columns", "prb_lat,prb_lon,prb_asn,prb_country", "--train-shards", "16", "--test-shards", "4"]


def log(msg):
    print(f"[distributed-bench {datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def timed(cmd, cwd=None):
    """Runs cmd under /usr/bin/time: (wall s, peak RSS bytes, stdout)."""
    tf = os.path.join(cwd or ".", ".time")
    p = subprocess.run(["/usr/bin/time", "-o", tf, "-f", "%e %M"] + cmd, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr.strip()}")
    with open(tf) as f:
        wall, rss = f.read().split()[-2:]
    os.unlink(tf)
    return float(wall), int(rss) * 1024, p.stdout


def files_bytes(folder):
    total = 0
    for dirpath, _, names in os.walk(folder):
        for n in names:
            total += os.path.getsize(os.path.join(dirpath, n))
    return total


def same_tree(a, b):
    na, nb = sorted(os.listdir(a)), sorted(os.listdir(b))
    if na != nb:
        return False
    for n in na:
        if os.path.getsize(os.path.join(a, n)) != os.path.getsize(os.path.join(b, n)):
            return False
        if subprocess.run(["cmp", "-s", os.path.join(a, n), os.path.join(b, n)]).returncode != 0:
            return False
    return True


def read_json(path):
    with open(path) as f:
        return json.load(f)


def run_dask(args, cluster, data, work, out):
    """One driver run; returns its measurements."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, os.path.join(ROOT, "distributed", "dask", "proberows_dask.py")]
    cmd += ["--scheduler", cluster.address, "--work", work, "--binary", args.binary, "--keep-work"]
    cmd += ["--map-tasks", str(args.map_tasks), "--reduce-tasks", str(args.reduce_tasks)]
    cmd += ["-m", args.task_memory, "-j", str(args.task_workers), "--", "-i", data, "-o", out] + OPTIONS
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events = []  # (seconds since start, line)
    for line in p.stdout:
        events.append((time.monotonic() - start, line.rstrip("\n")))
    err = p.stderr.read()
    p.wait()
    wall = time.monotonic() - start
    if p.returncode != 0:
        raise RuntimeError(f"the Dask driver failed: {err.strip()}\n" + "\n".join(l for _, l in events))
    stage_end = {}
    for t, line in events:
        m = re.match(r"proberows_dask: (plan|map|split|reduce|finalize)\b", line)
        if m:
            stage_end[m.group(1)] = t
    text = "\n".join(l for _, l in events)
    finalize_s = float(re.search(r"finalize ([\d.]+) s", text).group(1))
    plan_s = float(re.search(r"proberows plan .* in ([\d.]+) s, peak RSS", text).group(1))

    tasks = []
    for stage, n in (("map", args.map_tasks), ("reduce", args.reduce_tasks)):
        for i in range(n):
            m = read_json(os.path.join(work, f"{stage}-{i:05d}-of-{n:05d}.json"))
            t = {"stage": stage, "task": i, **m["stats"], "rows": m["rows"]}
            if stage == "map":
                t["spill_bytes"] = sum(f["bytes"] for f in m["files"] if f["name"].endswith(".spill"))
                t["key_bytes"] = sum(f["bytes"] for f in m["files"] if f["name"].endswith(".keys"))
            else:
                t["measurements"] = m["measurements"]
                t["shards"] = len(m["shards"])
            tasks.append(t)
    split = read_json(os.path.join(work, "split.json"))
    tasks.append({"stage": "split", "task": 0, **split["stats"], "keys": split["keys"]})
    plan_bytes = os.path.getsize(os.path.join(work, "plan.json"))
    manifests = sum(os.path.getsize(os.path.join(work, n)) for n in os.listdir(work) if n.endswith(".json"))
    map_bytes = sum(t["bytes_written"] for t in tasks if t["stage"] == "map")
    reduce_bytes = sum(t["bytes_written"] for t in tasks if t["stage"] == "reduce")
    return {
        "wall": wall,
        "stage_end": stage_end,
        "finalize_seconds": finalize_s,
        "plan_seconds": plan_s,
        "tasks": tasks,
        "work_bytes": {
            "plan": plan_bytes,
            "manifests": manifests,
            "map_spill": sum(t["spill_bytes"] for t in tasks if t["stage"] == "map"),
            "map_keys": sum(t["key_bytes"] for t in tasks if t["stage"] == "map"),
            "map": map_bytes,
            "reduce_shards": reduce_bytes,
            "total_on_disk": files_bytes(work),
        },
        "output_bytes": files_bytes(out),
    }


def measure(args):
    from local_cluster import LocalDaskCluster

    data = os.path.abspath(args.data)
    if not os.path.isdir(data):
        log(f"generating {data}")
        subprocess.run(
            [args.binary, "generate", "-o", data, "-n", str(args.measurements), "-p", str(args.probes)]
            + ["--files", str(args.files)],
            check=True,
        )
    input_bytes = files_bytes(data)
    base = os.path.abspath(args.work_dir)
    os.makedirs(base, exist_ok=True)
    cluster = LocalDaskCluster(base)
    runs = []
    try:
        cluster.start(workers=args.dask_workers, nthreads=1)
        for r in range(1, args.runs + 1):
            run = {"run": r, "load": {}}
            out_build = os.path.join(base, "out-build")
            for name, j, m in (
                ("build", args.build_workers, args.build_memory),
                ("build_task", args.task_workers, args.task_memory),
            ):
                if name == "build_task" and args.no_task_build:
                    continue
                shutil.rmtree(out_build if name == "build" else out_build + "-task", ignore_errors=True)
                run["load"][f"{name}_before"] = loadavg()
                log(f"run {r}: proberows build -j {j} -m {m}")
                wall, rss, stdout = timed(
                    [args.binary, "build", "-i", data, "-o", out_build if name == "build" else out_build + "-task"]
                    + ["-j", str(j), "-m", m, "--no-progress"]
                    + OPTIONS,
                    cwd=base,
                )
                run[name] = {"wall": wall, "peak_rss": rss, "summary": stdout}
                log(f"  {wall:.1f} s, peak RSS {rss / 2**20:.0f} MiB")
            shutil.rmtree(out_build + "-task", ignore_errors=True)
            run["load"]["dask_before"] = loadavg()
            log(f"run {r}: Dask driver, {args.map_tasks} map x {args.reduce_tasks} reduce tasks")
            d = run_dask(args, cluster, data, os.path.join(base, "work"), os.path.join(base, "out-dask"))
            run["load"]["dask_after"] = loadavg()
            d["identical"] = same_tree(os.path.join(base, "out-dask"), out_build)
            log(f"  {d['wall']:.1f} s, identical to build: {d['identical']}")
            if not d["identical"]:
                raise RuntimeError("the Dask output differs from build's")
            run["dask"] = d
            runs.append(run)
    finally:
        left = cluster.stop()
        if left:
            log(f"WARNING: processes left running: {left}")
    shutil.rmtree(os.path.join(base, "work"), ignore_errors=True)
    for n in ("out-dask", "out-build"):
        shutil.rmtree(os.path.join(base, n), ignore_errors=True)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release()},
        "data": {
            "path": data,
            "bytes": input_bytes,
            "measurements": args.measurements,
            "keys": args.probes,
            "files": args.files,
        },
        "settings": {
            k: getattr(args, k)
            for k in (
                "map_tasks",
                "reduce_tasks",
                "task_memory",
                "task_workers",
                "dask_workers",
                "build_workers",
                "build_memory",
            )
        }
        | {"options": OPTIONS},
        "runs": runs,
    }


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# ---------------------------------------------------------------- report

MiB = 2**20


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_bytes(b):
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if b >= scale:
            return f"{b / scale:.1f} {unit}"
    return f"{b:.0f} B"


def fmt_s(s):
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 60:
        return f"{s / 60:.1f} min"
    return f"{s:.1f} s"


def rates(res):
    """Per-task rates from the medians over runs (what the model uses)."""
    runs = res["runs"]
    n_meas = res["data"]["measurements"]
    keys = res["data"]["keys"]
    maps = [t for r in runs for t in r["dask"]["tasks"] if t["stage"] == "map"]
    reduces = [t for r in runs for t in r["dask"]["tasks"] if t["stage"] == "reduce"]
    splits = [t for r in runs for t in r["dask"]["tasks"] if t["stage"] == "split"]
    wb = [r["dask"]["work_bytes"] for r in runs]
    map_keys = med([w["map_keys"] for w in wb])
    plan_s = med([r["dask"]["plan_seconds"] for r in runs])
    dask = res["settings"]["dask_workers"]
    # Scheduling and process start overhead per task: the driver's wall time
    # minus the busy time of its critical path, spread over the task waves.
    overheads = []
    for r in runs:
        d = r["dask"]
        busy = d["plan_seconds"]
        ms = sorted((t["seconds"] for t in d["tasks"] if t["stage"] == "map"), reverse=True)
        rs = sorted((t["seconds"] for t in d["tasks"] if t["stage"] == "reduce"), reverse=True)
        busy += sum(ms[::dask]) + next(t["seconds"] for t in d["tasks"] if t["stage"] == "split")
        busy += sum(rs[::dask]) + d["finalize_seconds"]
        waves = len(ms[::dask]) + len(rs[::dask]) + 2
        overheads.append(max(0.0, (d["wall"] - busy) / waves))
    return {
        "measurements": n_meas,
        "meas_per_key": n_meas / keys,
        "map_meas_per_s": med([t["rows"] / t["seconds"] for t in maps]),
        "reduce_meas_per_s": med([t["measurements"] / t["seconds"] for t in reduces]),
        "input_bytes_per_meas": res["data"]["bytes"] / n_meas,
        "map_read_bytes_per_meas": med(
            [sum(t["bytes_read"] for t in r["dask"]["tasks"] if t["stage"] == "map") for r in runs]
        )
        / n_meas,
        "spill_bytes_per_meas": med([w["map_spill"] for w in wb]) / n_meas,
        # Entries in all key lists: each map task's distinct keys (see model()).
        "key_bytes_per_entry": map_keys / key_entries(n_meas, keys, res["settings"]["map_tasks"]),
        "split_s_per_key_byte": med([t["seconds"] for t in splits]) / map_keys,
        "split_s": med([t["seconds"] for t in splits]),
        "output_bytes_per_meas": med([r["dask"]["output_bytes"] for r in runs]) / n_meas,
        "finalize_s_per_out_byte": med([r["dask"]["finalize_seconds"] for r in runs])
        / med([r["dask"]["output_bytes"] for r in runs]),
        "plan_s": plan_s,
        "plan_bytes": med([w["plan"] for w in wb]),
        "overhead_s_per_task": med(overheads),
        "reduce_skew": med(
            [
                max(t["seconds"] for t in r["dask"]["tasks"] if t["stage"] == "reduce")
                / statistics.mean(t["seconds"] for t in r["dask"]["tasks"] if t["stage"] == "reduce")
                for r in runs
            ]
        ),
        "map_peak_rss": max(t["peak_rss_bytes"] for t in maps),
        "reduce_peak_rss": max(t["peak_rss_bytes"] for t in reduces),
    }


def key_entries(measurements, keys, map_tasks):
    """Entries in all map tasks' key lists: each task lists the distinct keys
    of its share, keys * (1 - e^(-measurements per key / N)) when a key's
    measurements spread uniformly over the N tasks."""
    return map_tasks * keys * (1 - math.exp(-measurements / keys / map_tasks))


def model(rt, measurements, machines, cores, bandwidth, verify=True):
    """Modelled wall time of a distributed build (seconds, and the stages').

    `machines` nodes of `cores` cores each run one -j1 task per core; one
    wave of map tasks (N = machines * cores) and of reduce tasks (M = N);
    every stage's bytes go through shared storage of `bandwidth` bytes/s in
    total. Keys grow with the data (`meas_per_key` measurements per key);
    each map task's key list holds the distinct keys of its share (a key's
    measurements spread uniformly over the tasks).
    """
    n = m = machines * cores
    keys = measurements / rt["meas_per_key"]
    per_map = measurements / n
    key_bytes = key_entries(measurements, keys, n) * rt["key_bytes_per_entry"]
    storage = {
        "map": measurements * (rt["map_read_bytes_per_meas"] + rt["spill_bytes_per_meas"]) + key_bytes,
        "split": key_bytes,
        "reduce": measurements * (rt["spill_bytes_per_meas"] + rt["output_bytes_per_meas"]),
        "finalize": measurements * rt["output_bytes_per_meas"] if verify else 0,
    }
    compute = {
        # Plan: footers of every file (one per 2.5M measurements here), one process.
        "plan": rt["plan_s"] * measurements / rt["measurements"],
        "map": per_map / rt["map_meas_per_s"] + rt["overhead_s_per_task"],
        "split": key_bytes * rt["split_s_per_key_byte"] + rt["overhead_s_per_task"],
        "reduce": measurements / m / rt["reduce_meas_per_s"] * rt["reduce_skew"] + rt["overhead_s_per_task"],
        "finalize": (measurements * rt["output_bytes_per_meas"] * rt["finalize_s_per_out_byte"] if verify else 1.0),
    }
    stages = {}
    for s in compute:
        io = storage.get(s, 0) / bandwidth
        stages[s] = (max(compute[s], io), "storage" if io > compute[s] else "cpu")
    return sum(v for v, _ in stages.values()), stages


def report(res):
    runs = res["runs"]
    st = res["settings"]
    rt = rates(res)
    L = []
    n = len(runs)
    L.append(
        f"Input: {res['data']['measurements']:,} measurements, {res['data']['keys']:,} probes, "
        f"{res['data']['files']} Parquet files, {fmt_bytes(res['data']['bytes'])}; options `{' '.join(OPTIONS)}`. "
        f"Machine: {res['machine']['cpus']} vCPUs ({res['machine']['cpu']}), {res['date']}. "
        f"Medians of {n} run(s); every Dask output was byte-identical to the build's."
    )
    L.append("")
    loads = [v[0] for r in runs for v in r["load"].values()]
    L.append(
        f"Load average (1 min) before/after each command: {min(loads):.1f} to {max(loads):.1f} "
        "(the machine was shared with other engineers' compilers: compare ratios within a run)."
    )
    L.append("")
    L.append("| run | load | build -j{bw} -m {bm} | build -j{tw} -m {tm} (one task's share) | Dask {M}x{R} ({dw} workers, tasks -j{tw} -m {tm}) | Dask / build |".format(
        bw=st["build_workers"], bm=st["build_memory"], tw=st["task_workers"], tm=st["task_memory"],
        M=st["map_tasks"], R=st["reduce_tasks"], dw=st["dask_workers"]))
    L.append("|---|---|---|---|---|---|")
    for r in runs:
        bt = r.get("build_task")
        bt_text = f"{bt['wall']:.1f} s, {fmt_bytes(bt['peak_rss'])}" if bt else "-"
        L.append(
            f"| {r['run']} | {r['load']['build_before'][0]:.1f}-{r['load']['dask_after'][0]:.1f} | "
            f"{r['build']['wall']:.1f} s, {fmt_bytes(r['build']['peak_rss'])} | "
            f"{bt_text} | "
            f"{r['dask']['wall']:.1f} s | {r['dask']['wall'] / r['build']['wall']:.2f} |"
        )
    L.append("")
    # Stages of the Dask run, from the driver's progress lines.
    L.append("Dask run, time at which each stage ended (driver's clock, median): " + ", ".join(
        f"{s} {med([r['dask']['stage_end'][s] for r in runs]):.1f} s" for s in ("plan", "map", "split", "reduce", "finalize")
    ) + f"; finalize itself (checksums of every shard) {med([r['dask']['finalize_seconds'] for r in runs]):.1f} s.")
    L.append("")
    L.append("| task | seconds | measurements | bytes read | bytes written | peak RSS |")
    L.append("|---|---|---|---|---|---|")
    def task_rows(stage, count):
        for i in range(count):
            ts = [next(t for t in r["dask"]["tasks"] if t["stage"] == stage and t["task"] == i) for r in runs]
            meas = ts[0].get("measurements", ts[0].get("rows", 0)) if stage != "split" else res["data"]["measurements"]
            L.append(
                f"| {stage} {i} | {med([t['seconds'] for t in ts]):.1f} | {meas:,} | "
                f"{fmt_bytes(med([t['bytes_read'] for t in ts]))} | {fmt_bytes(med([t['bytes_written'] for t in ts]))} | "
                f"{fmt_bytes(med([t['peak_rss_bytes'] for t in ts]))} |"
            )
    task_rows("map", st["map_tasks"])
    task_rows("split", 1)
    task_rows("reduce", st["reduce_tasks"])
    L.append("")
    wb = {k: med([r["dask"]["work_bytes"][k] for r in runs]) for k in runs[0]["dask"]["work_bytes"]}
    L.append(
        f"Work folder: plan.json {fmt_bytes(wb['plan'])}, manifests {fmt_bytes(wb['manifests'])} in all; "
        f"map outputs {fmt_bytes(wb['map'])} (spill {fmt_bytes(wb['map_spill'])}, key lists {fmt_bytes(wb['map_keys'])}); "
        f"reduce outputs (the shards) {fmt_bytes(wb['reduce_shards'])}; {fmt_bytes(wb['total_on_disk'])} on disk with "
        f"--keep-work (input {fmt_bytes(res['data']['bytes'])}, output {fmt_bytes(med([r['dask']['output_bytes'] for r in runs]))})."
    )
    L.append("")
    L.append("Per-task rates (one core, `-j1`), the model's inputs:")
    L.append("")
    L.append(f"* map: {rt['map_meas_per_s'] / 1e3:.0f}K measurements/s; reads {rt['map_read_bytes_per_meas']:.1f} B and "
             f"writes {rt['spill_bytes_per_meas']:.1f} B of spill per measurement; {rt['key_bytes_per_entry']:.1f} B per "
             f"key-list entry; peak RSS up to {fmt_bytes(rt['map_peak_rss'])}")
    L.append(f"* split: {rt['split_s']:.2f} s for {fmt_bytes(wb['map_keys'])} of key lists")
    L.append(f"* reduce: {rt['reduce_meas_per_s'] / 1e3:.0f}K measurements/s; writes {rt['output_bytes_per_meas']:.1f} B "
             f"per measurement; slowest task / mean {rt['reduce_skew']:.2f}; peak RSS up to {fmt_bytes(rt['reduce_peak_rss'])}")
    L.append(f"* finalize: {1 / rt['finalize_s_per_out_byte'] / MiB:.0f} MiB/s of shards checked; plan {rt['plan_s']:.1f} s "
             f"({res['data']['files']} files); Dask scheduling and process start {rt['overhead_s_per_task']:.2f} s per task wave")
    L.append("")
    L.append(model_table(rt))
    return "\n".join(L) + "\n"


def model_table(rt):
    L = []
    L.append("Modelled wall time (2-core machines like this one, one `-j1` task per core, one wave of N = M = "
             "2 x machines tasks; shared storage of 1 GB/s or 10 GB/s aggregate; finalize with checksums). "
             "The limiting resource of the slowest stage is in brackets:")
    L.append("")
    L.append("| measurements | machines | 1 GB/s storage | 10 GB/s storage | stages at 10 GB/s: plan / map / split / reduce / finalize |")
    L.append("|---|---|---|---|---|")
    for meas in (2e9, 20e9):
        for k in (1, 4, 16, 64, 256):
            t1, _ = model(rt, meas, k, 2, 1e9)
            t10, s10 = model(rt, meas, k, 2, 10e9)
            worst = max(s10, key=lambda s: s10[s][0])
            stages = " / ".join(fmt_s(s10[s][0]) for s in ("plan", "map", "split", "reduce", "finalize"))
            L.append(f"| {meas / 1e9:.0f}B | {k} | {fmt_s(t1)} | {fmt_s(t10)} | {stages} ({worst}: {s10[worst][1]}) |")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "release", "proberows"))
    ap.add_argument("--data", default=os.path.join(ROOT, "bench", "data", "dist-20m"))
    ap.add_argument("--measurements", type=int, default=20_000_000, help="of --data (generated with these)")
    ap.add_argument("--probes", type=int, default=757_120)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--work-dir", default=os.path.join(ROOT, "bench", "work", "distributed"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--map-tasks", type=int, default=4)
    ap.add_argument("--reduce-tasks", type=int, default=4)
    ap.add_argument("--task-memory", default="1GB")
    ap.add_argument("--task-workers", type=int, default=1)
    ap.add_argument("--dask-workers", type=int, default=2)
    ap.add_argument("--build-workers", type=int, default=2)
    ap.add_argument("--build-memory", default="2GB")
    ap.add_argument("--no-task-build", action="store_true", help="skip the build -j TASK_WORKERS -m TASK_MEMORY")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "distributed"))
    ap.add_argument("--report", help="print the tables of a results JSON again")
    args = ap.parse_args()
    if args.report:
        res = read_json(args.report)
    else:
        args.binary = os.path.abspath(args.binary)
        res = measure(args)
        with open(args.out + ".json", "w") as f:
            json.dump(res, f, indent=1)
    text = report(res)
    if not args.report:
        with open(args.out + ".md", "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
