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

# 36 train + 4 test shards: equal-sized shards (10% test), 10 per reduce
# task of 4, so that the reduce tasks get equal shares (docs/distributed.md).
OPTIONS = ["--static-columns", "prb_lat,prb_lon,prb_asn,prb_country", "--train-shards", "36", "--test-shards", "4"]


def log(msg):
    print(f"[distributed-bench {datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def timed(cmd, cwd=None, cpu=None):
    """Runs cmd under /usr/bin/time: (wall s, peak RSS bytes, stdout); CPU
    seconds (user + system) go to cpu["cpu"] when given."""
    tf = os.path.join(cwd or ".", ".time")
    p = subprocess.run(["/usr/bin/time", "-o", tf, "-f", "%e %M %U %S"] + cmd, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr.strip()}")
    with open(tf) as f:
        wall, rss, user, system = f.read().split()[-4:]
    os.unlink(tf)
    if cpu is not None:
        cpu["cpu"] = float(user) + float(system)
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
    # Every command the workers run goes through /usr/bin/time, which appends
    # its CPU seconds to a log (the manifests hold wall time, not CPU).
    cpu_log = os.path.join(os.path.dirname(work), "task-cpu.log")
    wrapper = os.path.join(os.path.dirname(work), "timed-proberows")
    if os.path.exists(cpu_log):
        os.unlink(cpu_log)
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec /usr/bin/time -a -o "{cpu_log}" -f "%e %U %S %M %C" "{args.binary}" "$@"\n')
    os.chmod(wrapper, 0o755)
    cmd = [sys.executable, os.path.join(ROOT, "distributed", "dask", "proberows_dask.py")]
    cmd += ["--scheduler", cluster.address, "--work", work, "--binary", wrapper, "--keep-work"]
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

    # CPU seconds per command: (stage, index) -> seconds.
    cpu = {}
    with open(cpu_log) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 6 or not re.fullmatch(r"[\d.]+", parts[0]):
                continue
            stage = parts[5]
            index = 0
            if stage in ("map", "reduce"):
                index = int(parts[8].split("/")[0])  # BINARY map -w WORK I/N ...
            cpu[(stage, index)] = float(parts[1]) + float(parts[2])
    tasks = []
    for stage, n in (("map", args.map_tasks), ("reduce", args.reduce_tasks)):
        for i in range(n):
            m = read_json(os.path.join(work, f"{stage}-{i:05d}-of-{n:05d}.json"))
            t = {"stage": stage, "task": i, **m["stats"], "rows": m["rows"], "cpu": cpu[(stage, i)]}
            if stage == "map":
                t["spill_bytes"] = sum(f["bytes"] for f in m["files"] if f["name"].endswith(".spill"))
                t["key_bytes"] = sum(f["bytes"] for f in m["files"] if f["name"].endswith(".keys"))
            else:
                t["measurements"] = m["measurements"]
                t["shards"] = len(m["shards"])
            tasks.append(t)
    split = read_json(os.path.join(work, "split.json"))
    tasks.append({"stage": "split", "task": 0, **split["stats"], "keys": split["keys"], "cpu": cpu[("split", 0)]})
    plan_bytes = os.path.getsize(os.path.join(work, "plan.json"))
    manifests = sum(os.path.getsize(os.path.join(work, n)) for n in os.listdir(work) if n.endswith(".json"))
    map_bytes = sum(t["bytes_written"] for t in tasks if t["stage"] == "map")
    reduce_bytes = sum(t["bytes_written"] for t in tasks if t["stage"] == "reduce")
    return {
        "wall": wall,
        "stage_end": stage_end,
        "finalize_seconds": finalize_s,
        "plan_seconds": plan_s,
        "cpu": {f"{k[0]}{'' if k[0] in ('plan', 'split', 'finalize', 'status') else ' ' + str(k[1])}": v for k, v in cpu.items()},
        "cpu_total": sum(v for k, v in cpu.items() if k[0] != "status"),
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
                cpu = {}
                wall, rss, stdout = timed(
                    [args.binary, "build", "-i", data, "-o", out_build if name == "build" else out_build + "-task"]
                    + ["-j", str(j), "-m", m, "--no-progress"]
                    + OPTIONS,
                    cwd=base,
                    cpu=cpu,
                )
                run[name] = {"wall": wall, "peak_rss": rss, "cpu": cpu["cpu"], "summary": stdout}
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


def files_probe(args):
    """Fixed costs that grow with the number of input files: the same
    256K measurements as 4 and as 256 Parquet files, planned as 4 map x 4
    reduce tasks; each stage command run alone (CPU seconds, bytes read)."""
    base = os.path.abspath(os.path.join(args.work_dir, "files-probe"))
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    out = {}
    for files in (4, 256):
        data = os.path.join(base, f"data-{files}")
        subprocess.run(
            [args.binary, "generate", "-o", data, "-n", "256000", "-p", "9700", "--files", str(files)],
            check=True,
            capture_output=True,
        )
        work = os.path.join(base, f"work-{files}")
        r = {"files": files, "load": loadavg()}
        common = ["-m", "256MB", "-j", "1", "--no-progress"]
        def cpu_of(cmd):
            c = {}
            timed(cmd, cwd=base, cpu=c)
            return c["cpu"]

        r["plan"] = cpu_of(
            [args.binary, "plan", "-w", work, "-i", data, "-o", os.path.join(base, f"out-{files}")]
            + ["--map-tasks", "4", "--reduce-tasks", "4", "--reduce-memory-limit", "256MB", "--reduce-workers", "1"]
            + ["-m", "256MB"]
            + OPTIONS
        )
        for i in range(4):
            c = cpu_of([args.binary, "map", "-w", work, str(i)] + common)
            if i == 0:
                r["map0"] = c
        r["map0_read"] = read_json(os.path.join(work, "map-00000-of-00004.json"))["stats"]["bytes_read"]
        r["split"] = cpu_of([args.binary, "split", "-w", work] + common)
        for j in range(4):
            c = cpu_of([args.binary, "reduce", "-w", work, str(j)] + common)
            if j == 0:
                r["reduce0"] = c
        r["reduce0_read"] = read_json(os.path.join(work, "reduce-00000-of-00004.json"))["stats"]["bytes_read"]
        r["finalize"] = cpu_of([args.binary, "finalize", "-w", work, "-m", "256MB", "--no-progress"])
        r["plan_bytes"] = os.path.getsize(os.path.join(work, "plan.json"))
        r["input_bytes"] = files_bytes(data)
        out[str(files)] = r
        log(f"files probe, {files} files: {r}")
    shutil.rmtree(base, ignore_errors=True)
    return out


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
    probe = res.get("files_probe")
    per_file = {"task_s": 0.0, "plan_s": 0.0, "task_read": 0.0, "plan_json": 0.0}
    if probe:
        a, b = probe["4"], probe["256"]
        extra = b["files"] - a["files"]
        per_file = {
            # Each map and reduce task (and finalize) checks every input file.
            # From reduce task 0, which reads the same spill either way (a map
            # task with more files also opens more files of its own).
            "task_s": max(0.0, (b["reduce0"] - a["reduce0"]) / extra),
            "plan_s": max(0.0, (b["plan"] - a["plan"]) / extra),
            "task_read": max(0.0, (b["reduce0_read"] - a["reduce0_read"]) / extra),
            "plan_json": (b["plan_bytes"] - a["plan_bytes"]) / extra,
        }
    cpu_of = lambda stage: [t for r in runs for t in r["dask"]["tasks"] if t["stage"] == stage]  # noqa: E731
    out_bytes = med([r["dask"]["output_bytes"] for r in runs])
    return {
        "map_meas_per_cpu_s": med([t["rows"] / t["cpu"] for t in cpu_of("map")]),
        "reduce_meas_per_cpu_s": med([t["measurements"] / t["cpu"] for t in cpu_of("reduce")]),
        "split_cpu_s_per_key_byte": med([t["cpu"] for t in cpu_of("split")]) / map_keys,
        "finalize_cpu_s_per_out_byte": med([r["dask"]["cpu"]["finalize"] for r in runs]) / out_bytes,
        "plan_cpu_s": med([r["dask"]["cpu"]["plan"] for r in runs]),
        "per_file": per_file,
        "files": res["data"]["files"],
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


def model(rt, measurements, machines, cores, bandwidth, keys=None, verify=True):
    """Modelled wall time of a distributed build: (seconds, {stage: (seconds, limit)}).

    `machines` nodes of `cores` cores each run one -j1 task per core, one
    wave of N = M = machines * cores map and reduce tasks, at the CPU rates
    measured here (CPU seconds: the machine's load does not inflate them).
    Every stage's bytes go through shared storage of `bandwidth` bytes/s in
    all, and a stage takes the longer of its CPU time and its storage time.
    `keys`: the number of keys (None: growing with the data, as here). Each
    map task's key list holds the distinct keys of its share (a key's
    measurements spread uniformly over the tasks). Split runs on one machine
    with `cores` threads, plan and finalize on one core.
    """
    n = m = machines * cores
    if keys is None:
        keys = measurements / rt["meas_per_key"]
    key_bytes = key_entries(measurements, keys, n) * rt["key_bytes_per_entry"]
    # Input files of the same size as here; every map and reduce task and
    # finalize check all of them (rt["per_file"], from the file-count probe).
    files = rt["files"] * measurements / rt["measurements"]
    pf = rt["per_file"]
    out_bytes = measurements * rt["output_bytes_per_meas"]
    storage = {
        "plan": files * 64 * 1024,  # footers
        "map": measurements * (rt["map_read_bytes_per_meas"] + rt["spill_bytes_per_meas"])
        + key_bytes
        + n * files * pf["task_read"],
        "split": key_bytes,
        "reduce": measurements * rt["spill_bytes_per_meas"] + out_bytes + m * files * pf["task_read"],
        "finalize": out_bytes if verify else 0,
    }
    overhead = rt["overhead_s_per_task"]
    cpu = {
        "plan": rt["plan_cpu_s"] + files * pf["plan_s"],
        "map": measurements / n / rt["map_meas_per_cpu_s"] + files * pf["task_s"] + overhead,
        "split": key_bytes * rt["split_cpu_s_per_key_byte"] / cores + overhead,
        "reduce": measurements / m / rt["reduce_meas_per_cpu_s"] * rt["reduce_skew"] + files * pf["task_s"] + overhead,
        "finalize": (out_bytes * rt["finalize_cpu_s_per_out_byte"] if verify else 0) + files * pf["task_s"] + overhead,
    }
    stages = {}
    for st in cpu:
        io = storage[st] / bandwidth
        stages[st] = (max(cpu[st], io), "storage" if io > cpu[st] else "CPU")
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
        f"{n} run(s), medians; every Dask output was byte-identical to the build's."
    )
    L.append("")
    loads = [v[0] for r in runs for v in r["load"].values()]
    L.append(
        f"Load average (1 min) around the commands: {min(loads):.1f} to {max(loads):.1f} on 2 cores (other "
        "engineers' compilers and benchmarks). Wall times are therefore inflated and noisy; CPU seconds "
        "(user + system, all processes of the command) are not inflated by waiting and are what the model uses."
    )
    L.append("")
    cfg = dict(
        bw=st["build_workers"], bm=st["build_memory"], tw=st["task_workers"], tm=st["task_memory"],
        M=st["map_tasks"], R=st["reduce_tasks"], dw=st["dask_workers"],
    )
    L.append(
        "| run | load | build -j{bw} -m {bm} | build -j{tw} -m {tm} | Dask {M} x {R} ({dw} workers, tasks -j{tw} "
        "-m {tm}) | Dask / build -j{bw}, wall | Dask / build -j{tw}, CPU |".format(**cfg)
    )
    L.append("|---|---|---|---|---|---|---|")
    for r in runs:
        b1, bt, d = r["build"], r.get("build_task"), r["dask"]
        bt_text = f"{bt['wall']:.1f} s, CPU {bt['cpu']:.1f} s, {fmt_bytes(bt['peak_rss'])}" if bt else "-"
        L.append(
            f"| {r['run']} | {r['load']['build_before'][0]:.1f}-{r['load']['dask_after'][0]:.1f} | "
            f"{b1['wall']:.1f} s, CPU {b1['cpu']:.1f} s, {fmt_bytes(b1['peak_rss'])} | {bt_text} | "
            f"{d['wall']:.1f} s, CPU {d['cpu_total']:.1f} s | {d['wall'] / b1['wall']:.2f} | "
            f"{(d['cpu_total'] / bt['cpu']) if bt else float('nan'):.2f} |"
        )
    L.append(
        f"| median | | {med([r['build']['wall'] for r in runs]):.1f} s, CPU {med([r['build']['cpu'] for r in runs]):.1f} s"
        f" | {med([r['build_task']['wall'] for r in runs if 'build_task' in r]):.1f} s, CPU "
        f"{med([r['build_task']['cpu'] for r in runs if 'build_task' in r]):.1f} s | "
        f"{med([r['dask']['wall'] for r in runs]):.1f} s, CPU {med([r['dask']['cpu_total'] for r in runs]):.1f} s | "
        f"{med([r['dask']['wall'] / r['build']['wall'] for r in runs]):.2f} | "
        f"{med([r['dask']['cpu_total'] / r['build_task']['cpu'] for r in runs if 'build_task' in r]):.2f} |"
    )
    L.append("")
    L.append(
        "Dask run, when each stage ended (driver's clock, median): "
        + ", ".join(
            f"{x} {med([r['dask']['stage_end'][x] for r in runs]):.1f} s"
            for x in ("plan", "map", "split", "reduce", "finalize")
        )
        + f"; finalize itself (checksums of every shard, metadata, publish) "
        f"{med([r['dask']['finalize_seconds'] for r in runs]):.1f} s."
    )
    L.append("")
    L.append("| task | wall s | CPU s | measurements | bytes read | bytes written | peak RSS |")
    L.append("|---|---|---|---|---|---|---|")

    def task_rows(stage, count):
        for i in range(count):
            ts = [next(t for t in r["dask"]["tasks"] if t["stage"] == stage and t["task"] == i) for r in runs]
            meas = ts[0].get("measurements", ts[0].get("rows", 0)) if stage != "split" else res["data"]["measurements"]
            L.append(
                f"| {stage} {i} | {med([t['seconds'] for t in ts]):.1f} | {med([t['cpu'] for t in ts]):.1f} | "
                f"{meas:,} | {fmt_bytes(med([t['bytes_read'] for t in ts]))} | "
                f"{fmt_bytes(med([t['bytes_written'] for t in ts]))} | {fmt_bytes(med([t['peak_rss_bytes'] for t in ts]))} |"
            )

    task_rows("map", st["map_tasks"])
    task_rows("split", 1)
    task_rows("reduce", st["reduce_tasks"])
    for x in ("plan", "finalize"):
        L.append(f"| {x} | | {med([r['dask']['cpu'][x] for r in runs]):.1f} | | | | |")
    L.append("")
    wb = {k: med([r["dask"]["work_bytes"][k] for r in runs]) for k in runs[0]["dask"]["work_bytes"]}
    out_bytes = med([r["dask"]["output_bytes"] for r in runs])
    L.append(
        f"Work folder: plan.json {fmt_bytes(wb['plan'])}, manifests {fmt_bytes(wb['manifests'])} in all; map outputs "
        f"{fmt_bytes(wb['map'])} (spill {fmt_bytes(wb['map_spill'])}, key lists {fmt_bytes(wb['map_keys'])}); reduce "
        f"outputs (the shards, later hard-linked into the output) {fmt_bytes(wb['reduce_shards'])}; "
        f"{fmt_bytes(wb['total_on_disk'])} on disk with --keep-work. Input {fmt_bytes(res['data']['bytes'])}, output "
        f"{fmt_bytes(out_bytes)}."
    )
    L.append("")
    L.append("Rates per task (one core, `-j1`; from CPU seconds), the model's inputs:")
    L.append("")
    L.append(
        f"* map: {rt['map_meas_per_cpu_s'] / 1e3:.0f}K measurements per CPU second; reads "
        f"{rt['map_read_bytes_per_meas']:.1f} B and writes {rt['spill_bytes_per_meas']:.1f} B of spill per measurement, "
        f"{rt['key_bytes_per_entry']:.1f} B per key-list entry; peak RSS up to {fmt_bytes(rt['map_peak_rss'])}"
    )
    L.append(
        f"* split: {rt['split_cpu_s_per_key_byte'] * MiB:.3f} CPU s per MiB of key lists "
        f"({fmt_bytes(wb['map_keys'])} here)"
    )
    L.append(
        f"* reduce: {rt['reduce_meas_per_cpu_s'] / 1e3:.0f}K measurements per CPU second; writes "
        f"{rt['output_bytes_per_meas']:.1f} B per measurement; slowest task / mean {rt['reduce_skew']:.2f} (wall); "
        f"peak RSS up to {fmt_bytes(rt['reduce_peak_rss'])}"
    )
    L.append(
        f"* finalize: {1 / rt['finalize_cpu_s_per_out_byte'] / MiB:.0f} MiB of shards per CPU second; plan "
        f"{rt['plan_cpu_s']:.2f} CPU s ({res['data']['files']} files); Dask scheduling and process start "
        f"{rt['overhead_s_per_task']:.2f} s per task wave (wall, under this load)"
    )
    probe = res.get("files_probe")
    if probe:
        a, b = probe["4"], probe["256"]
        pf = rt["per_file"]
        L.append("")
        L.append(
            f"Input file count: the same 256K measurements as {a['files']} and as {b['files']} Parquet files, "
            f"planned as 4 x 4 tasks, each command alone (CPU seconds): plan {a['plan']:.2f} -> {b['plan']:.2f} "
            f"(plan.json {fmt_bytes(a['plan_bytes'])} -> {fmt_bytes(b['plan_bytes'])}), map task 0 {a['map0']:.2f} -> "
            f"{b['map0']:.2f} (read {fmt_bytes(a['map0_read'])} -> {fmt_bytes(b['map0_read'])}), reduce task 0 "
            f"{a['reduce0']:.2f} -> {b['reduce0']:.2f} (read {fmt_bytes(a['reduce0_read'])} -> "
            f"{fmt_bytes(b['reduce0_read'])}), split {a['split']:.2f} -> {b['split']:.2f}, finalize "
            f"{a['finalize']:.2f} -> {b['finalize']:.2f}. Per input file: plan {pf['plan_s'] * 1e3:.1f} ms and "
            f"{pf['plan_json']:.0f} B of plan.json; every map and reduce task {pf['task_s'] * 1e3:.1f} ms and "
            f"{fmt_bytes(pf['task_read'])} read (from reduce task 0), because each task checks every input file's "
            "fingerprint and DuckDB resolves the whole input's schema."
        )
    L.append("")
    L.append(model_table(rt))
    return "\n".join(L) + "\n"


def model_table(rt):
    L = []
    fixed_keys = rt["measurements"] / rt["meas_per_key"]
    L.append(
        "Modelled wall time: machines of 2 cores, one `-j1` task per core, one wave of N = M = 2 x machines "
        f"map and reduce tasks at the CPU rates above, input files of {rt['measurements'] / rt['files'] / 1e6:.1f}M "
        "measurements, shared storage of 1 GB/s or 10 GB/s in all, finalize checking checksums. Keys grow with "
        f"the data ({rt['meas_per_key']:.1f} measurements per key, as generated); the last column has a fixed "
        f"{fixed_keys / 1e3:.0f}K keys (a probe fleet that does not grow), where the split stays small. The stage "
        "that takes longest, and what bounds it, in brackets:"
    )
    L.append("")
    L.append(
        "| measurements | machines | 1 GB/s | 10 GB/s | at 10 GB/s: plan / map / split / reduce / finalize | "
        f"10 GB/s, {fixed_keys / 1e3:.0f}K keys |"
    )
    L.append("|---|---|---|---|---|---|")
    for meas in (2e9, 20e9):
        for k in (1, 4, 16, 64, 256):
            t1, _ = model(rt, meas, k, 2, 1e9)
            t10, s10 = model(rt, meas, k, 2, 10e9)
            tf, _ = model(rt, meas, k, 2, 10e9, keys=fixed_keys)
            worst = max(s10, key=lambda st: s10[st][0])
            stages = " / ".join(fmt_s(s10[st][0]) for st in ("plan", "map", "split", "reduce", "finalize"))
            L.append(
                f"| {meas / 1e9:.0f}B | {k} | {fmt_s(t1)} | {fmt_s(t10)} | {stages} ({worst}: {s10[worst][1]}) | "
                f"{fmt_s(tf)} |"
            )
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
    ap.add_argument("--files-probe", action="store_true", help="only the file-count probe, added to --out's JSON")
    args = ap.parse_args()
    if args.files_probe:
        args.binary = os.path.abspath(args.binary)
        res = read_json(args.out + ".json")
        res["files_probe"] = files_probe(args)
        with open(args.out + ".json", "w") as f:
            json.dump(res, f, indent=1)
    elif args.report:
        res = read_json(args.report)
    else:
        args.binary = os.path.abspath(args.binary)
        res = measure(args)
        with open(args.out + ".json", "w") as f:
            json.dump(res, f, indent=1)
    text = report(res)
    if not args.report or args.files_probe:
        with open(args.out + ".md", "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
