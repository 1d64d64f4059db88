#!/usr/bin/env python3
"""End-to-end benchmark of `proberows build` against DuckDB baselines.

Driven by scripts/bench.sh (which builds the binaries first); see
docs/BENCHMARKS.md. Python 3 standard library only.

For each dataset size it runs, in the same session and under the same memory
limit:
  * proberows build, strategies sequential (smallest size only), in-memory and
    streaming, with each worker count;
  * baseline F (scan floor): DuckDB aggregating every input column;
  * baseline S: DuckDB sorting the input by (key, order) into one Parquet file;
  * baseline G: DuckDB grouping by key with list(col ORDER BY order) for every
    column into Parquet.
Every command runs under /usr/bin/time (wall seconds, peak RSS of the whole
process). Figures are medians over --runs runs. Results go to a CSV and a JSON
file; with --update-doc the results section of docs/BENCHMARKS.md and the SVG
plot are regenerated.
"""

import argparse
import hashlib
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

KEY = "prb_id"
ORDER = "timestamp"
AR_OPTIONS = "group_size:1,zstd:3"
# The same build without compression: its difference to the zstd:3 build is
# what compressing the output costs (reported next to the targets).
AR_OPTIONS_UNCOMPRESSED = "group_size:1,uncompressed"

# name -> (measurements, probes, parquet files). Same distribution: 26.4
# measurements per probe on average.
SIZES = {
    "smoke": (5000, 189, 2),
    "500k": (500_000, 18_928, 1),
    "5m": (5_000_000, 189_280, 4),
    "20m": (20_000_000, 757_120, 16),
    "200m": (200_000_000, 7_571_200, 64),
}

OOM_EXIT = 3  # duckdb_sql's exit code for "Out of Memory"


def log(msg):
    print(f"[bench {datetime.datetime.utcnow():%H:%M:%S}] {msg}", flush=True)


def parse_bytes(text):
    m = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?i?B?)\s*", text, re.I)
    if not m:
        raise ValueError(f"bad size {text!r}")
    unit = m.group(2).upper()
    scale = {"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
             "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40,
             "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}[unit]
    return int(float(m.group(1)) * scale)


def dir_bytes(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


TIMEOUT_EXIT = -999  # exit code recorded when a command ran past --timeout


def timed(cmd, cwd=None, timeout=None, env=None):
    """Runs cmd under /usr/bin/time; returns (exit code, wall s, peak RSS bytes, stdout, stderr).

    After `timeout` seconds the whole process group is killed and the exit
    code is TIMEOUT_EXIT (wall time = the timeout).
    """
    import signal
    import tempfile
    fd, time_file = tempfile.mkstemp(prefix="bench-time-")
    os.close(fd)
    try:
        p = subprocess.Popen(["/usr/bin/time", "-o", time_file, "-f", "%e %M"] + cmd, cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            stdout, stderr = p.communicate()
            return TIMEOUT_EXIT, float(timeout), 0, stdout, stderr
        p.stdout_text, p.stderr_text = stdout, stderr
        with open(time_file) as f:
            lines = [l for l in f.read().splitlines() if re.fullmatch(r"[0-9.]+ [0-9]+", l.strip())]
        wall, rss_kb = (lines[-1].split() if lines else ("nan", "0"))
        return p.returncode, float(wall), int(rss_kb) * 1024, stdout, stderr
    finally:
        os.unlink(time_file)


def machine_info():
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as f:
            cpu = f.read()
        m = re.search(r"model name\s*:\s*(.*)", cpu)
        info["cpu"] = m.group(1).strip() if m else "?"
        m = re.search(r"cpu MHz\s*:\s*([0-9.]+)", cpu)
        info["cpu_mhz"] = float(m.group(1)) if m else None
    except OSError:
        info["cpu"] = "?"
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"MemTotal:\s*(\d+) kB", f.read())
        info["ram_bytes"] = int(m.group(1)) * 1024
    except OSError:
        pass
    try:
        df = subprocess.run(["df", "-h", "--output=source,fstype,size", "."], capture_output=True, text=True)
        info["disk"] = " ".join(df.stdout.splitlines()[-1].split())
        dev = os.path.basename(info["disk"].split()[0])
        rot = f"/sys/block/{dev}/queue/rotational"
        if os.path.exists(rot):
            info["disk"] += " (rotational)" if open(rot).read().strip() == "1" else " (non-rotational)"
    except (OSError, IndexError):
        pass
    return info


def load_average():
    return os.getloadavg()[0]


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.join(args.build_dir, "proberows")
        self.sql = os.path.join(args.build_dir, "duckdb_sql")
        self.floor = os.path.join(args.build_dir, "zstd_floor")
        # Polars (bench/tools/setup_polars.sh): the dataframe user's row.
        self.polars_js = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools", "polars_group.js")
        self.polars_modules = args.polars_modules
        self.limit = args.memory_limit
        self.limit_bytes = parse_bytes(args.memory_limit)
        self.workers = [int(w) for w in args.workers.split(",")]
        self.large_workers = ([int(w) for w in args.large_workers.split(",")] if args.large_workers
                              else self.workers)
        self.threads = max(self.workers)
        self.results = []  # one dict per (size, config, run)
        self.gen_seconds = {}
        self.on_size_done = None

    # ------------------------------------------------------------------ data
    def dataset(self, size):
        n, probes, files = SIZES[size]
        folder = os.path.join(self.args.data_dir, size)
        marker = os.path.join(folder, ".params")
        want = f"{n} {probes} {files}"
        if os.path.exists(marker) and open(marker).read().strip() == want:
            return folder
        log(f"generating {size}: {n} measurements, {probes} probes, {files} file(s)")
        os.makedirs(folder, exist_ok=True)
        code, wall, rss, out, err = timed([self.bin, "generate", "--output", folder, "-n", str(n), "-p",
                                           str(probes), "--files", str(files), "--memory-limit", self.limit,
                                           "--overwrite"])
        if code != 0:
            sys.exit(f"bench: generate {size} failed: {err.strip()}")
        self.gen_seconds[size] = wall
        with open(marker, "w") as f:
            f.write(want + "\n")
        log(f"generated {size} in {wall:.1f} s")
        return folder

    # ------------------------------------------------------------- baselines
    def schema(self, glob):
        code, _, _, out, err = timed([self.sql, "--print-rows", "1000", "--memory-limit", self.limit,
                                      f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                                      f"read_parquet('{glob}'))"])
        if code != 0:
            sys.exit(f"bench: DESCRIBE failed: {err.strip()}")
        cols = []
        for line in out.splitlines():
            if line.startswith("duckdb_sql:"):
                continue
            name, typ = line.split("\t")
            cols.append((name, typ))
        return cols

    @staticmethod
    def q(name):
        return '"' + name.replace('"', '""') + '"'

    def baseline_sql(self, kind, glob, cols, out):
        src = f"read_parquet('{glob}')"
        if kind == "F":
            aggs = ["count(*)"]
            for name, typ in cols:
                c = self.q(name)
                if typ.endswith("[]"):
                    aggs.append(f"sum(len({c}))")
                elif typ in ("VARCHAR", "BLOB"):
                    aggs.append(f"sum(length({c}))")
                elif typ == "BOOLEAN":
                    aggs.append(f"count_if({c})")
                elif typ.startswith("TIMESTAMP") or typ == "DATE":
                    aggs.append(f"max({c})")
                elif typ in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
                             "UBIGINT", "FLOAT", "DOUBLE", "HUGEINT") or typ.startswith("DECIMAL"):
                    aggs.append(f"sum({c})")
                else:
                    aggs.append(f"count({c})")
            return f"SELECT {', '.join(aggs)} FROM {src}"
        if kind == "S":
            return (f"COPY (SELECT * FROM {src} ORDER BY {self.q(KEY)}, {self.q(ORDER)}) "
                    f"TO '{out}' (FORMAT parquet)")
        if kind == "G":
            lists = ", ".join(f"list({self.q(n)} ORDER BY {self.q(ORDER)}) AS {self.q(n)}"
                              for n, _ in cols if n != KEY)
            return (f"COPY (SELECT {self.q(KEY)}, {lists} FROM {src} GROUP BY {self.q(KEY)}) "
                    f"TO '{out}' (FORMAT parquet)")
        raise ValueError(kind)

    # ------------------------------------------------------------------ runs
    def configs(self, size, first_size, run):
        configs = [("F", None, None, None), ("S", None, None, None), ("G", None, None, None)]
        if self.polars_modules and SIZES[size][0] <= self.args.polars_max:
            # Polars has no memory limit: it needed 14 GB at 20M, so it is not
            # run on larger inputs (this machine has 24 GB).
            configs.append(("P", None, None, None))
        # sequential is single-threaded by design (--workers does not change
        # it): one worker count, smallest size only, --sequential-runs runs.
        if size == first_size and run <= self.args.sequential_runs:
            configs.append(("proberows", "sequential", 1, AR_OPTIONS))
        workers = self.workers if size == first_size else self.large_workers
        for s in ("in-memory", "streaming"):
            for w in workers:
                configs.append(("proberows", s, w, AR_OPTIONS))
        if not self.args.no_uncompressed:
            configs.append(("proberows", "streaming", max(workers), AR_OPTIONS_UNCOMPRESSED))
        if size == "20m" and self.args.small_limit:
            # Keys are counted from the partitions (no DuckDB count(DISTINCT)):
            # the same bytes must come out of a small budget.
            configs.append(("proberows", "streaming", max(workers), AR_OPTIONS, self.args.small_limit))
        return configs

    def limit_for(self, size):
        # 200M is measured under its own limit (issue #12: 2GB).
        return self.args.large_memory_limit if size == "200m" and self.args.large_memory_limit else self.limit

    def run_one(self, size, glob, cols, kind, strategy, workers, ar_options, run, limit=None):
        work = os.path.join(self.args.work_dir, size)
        temp = os.path.join(work, "tmp")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(temp)
        limit = limit or self.limit_for(size)
        row = {"size": size, "measurements": SIZES[size][0], "probes": SIZES[size][1], "run": run,
               "memory_limit": limit, "load1": round(load_average(), 2)}
        if kind == "proberows":
            out = os.path.join(work, "out")
            cmd = [self.bin, "build", "--input", glob, "--output", out, "--strategy", strategy,
                   "--workers", str(workers), "--memory-limit", limit, "--temp-dir", temp,
                   "--array-record-options", ar_options, "--no-progress"]
            suffix = "" if ar_options == AR_OPTIONS else ", uncompressed"
            if limit != self.limit_for(size):
                suffix += f", {limit}"
            row.update(config=f"{strategy} w{workers}{suffix}", kind="proberows", strategy=strategy, threads=workers)
        elif kind == "P":
            out = os.path.join(work, "P.none")
            cmd = ["node", self.polars_js, glob, KEY, ORDER]
            row.update(config="baseline P (Polars)", kind=kind, strategy="", threads=os.cpu_count())
        else:
            out = os.path.join(work, f"{kind}.parquet")
            cmd = [self.sql, "--memory-limit", limit, "--threads", str(self.threads), "--temp-dir", temp,
                   "--print-rows", "0", self.baseline_sql(kind, glob, cols, out)]
            row.update(config=f"baseline {kind}", kind=kind, strategy="", threads=self.threads)
        env = dict(os.environ, NODE_PATH=self.polars_modules) if kind == "P" else None
        code, wall, rss, stdout, stderr = timed(cmd, timeout=self.args.timeout, env=env)
        row.update(exit=code, seconds=wall, peak_rss=rss, output_bytes=dir_bytes(out) if os.path.exists(out) else 0)
        if code == TIMEOUT_EXIT:
            row["status"] = f"timeout (> {self.args.timeout:.0f} s)"
        elif code == 0:
            row["status"] = "ok"
        elif kind == "G" and code == OOM_EXIT or "Out of Memory" in stderr:
            row["status"] = "out of memory"
        elif kind == "proberows" and "memory" in stderr and "streaming" in stderr:
            row["status"] = "refused (memory estimate)"
        else:
            row["status"] = f"failed (exit {code})"
        if code != 0:
            row["error"] = stderr.strip().splitlines()[-1][:300] if stderr.strip() else ""
        m = re.search(r"phases:(.*)", stdout)
        if m:
            row["phases"] = {k.strip(): float(v) for k, v in re.findall(r"\s*([^;]+?) ([0-9.]+) s", m.group(1))}
        m = re.search(r"peak RSS ([^,\n]+)", stdout)
        if m:
            row["self_reported_peak_rss"] = m.group(1).strip()
        m = re.search(r"(\d+) partition", stdout)
        if m:
            row["partitions"] = int(m.group(1))
        m = re.search(r"spilled ([^,\n]+)", stdout)
        if m:
            row["spilled"] = m.group(1).strip()
        if kind == "proberows" and code == 0:
            # proberows.json holds every shard's checksum: equal digests, equal bytes.
            meta_path = os.path.join(out, "proberows.json")
            if os.path.exists(meta_path):
                with open(meta_path, "rb") as f:
                    row["output_digest"] = hashlib.sha256(f.read()).hexdigest()[:16]
            if (run == 1 and ar_options == AR_OPTIONS and strategy == "streaming" and workers == max(self.workers)
                    and limit == self.limit_for(size) and size in ("20m", "smoke") and os.path.exists(self.floor)):
                # Z: zstd alone on exactly this build's records (the floor F + Z / cores).
                fc, fw, _, fout, ferr = timed([self.floor, "--level", "3", out])
                m = re.search(r"cpu_s=([0-9.]+)", fout)
                if fc == 0 and m:
                    row["zstd_cpu_s"] = float(m.group(1))
                    log(f"{size} zstd floor: {fout.strip()}")
        if kind == "proberows" and code == 0 and self.args.verify:
            v = subprocess.run([self.bin, "verify", out, "--input", glob], capture_output=True, text=True)
            if v.returncode != 0:
                sys.exit(f"bench: verify failed for {row['config']} at {size}: {v.stderr.strip()}")
        shutil.rmtree(work, ignore_errors=True)
        log(f"{size} {row['config']:<22} run {run}: {row['status']:<10} {wall:8.2f} s  "
            f"peak {rss / 2**20:7.0f} MiB  out {row['output_bytes'] / 2**20:8.1f} MiB  load {row['load1']}")
        self.results.append(row)
        return row

    def run(self):
        sizes = self.args.sizes
        for size in sizes:
            folder = self.dataset(size)
            glob = os.path.join(os.path.abspath(folder), "*.parquet")
            cols = self.schema(glob)
            runs = self.args.large_runs if size == "200m" and self.args.large_runs else self.args.runs
            for run in range(1, runs + 1):
                # Interleave configurations run by run, so that a load spike on
                # the machine hits all of them rather than one.
                for config in self.configs(size, sizes[0], run):
                    self.run_one(size, glob, cols, *config, run=run) if len(config) == 4 else \
                        self.run_one(size, glob, cols, *config[:4], run=run, limit=config[4])
                    if self.on_size_done:
                        self.on_size_done()

    # --------------------------------------------------------------- summary
    def summarize(self):
        groups = {}
        for r in self.results:
            groups.setdefault((r["size"], r["config"]), []).append(r)
        summary = []
        for (size, config), rows in groups.items():
            ok = [r for r in rows if r["status"] == "ok"]
            s = {"size": size, "config": config, "measurements": rows[0]["measurements"],
                 "probes": rows[0]["probes"], "kind": rows[0]["kind"], "strategy": rows[0]["strategy"],
                 "threads": rows[0]["threads"], "runs": len(rows), "ok_runs": len(ok),
                 "status": "ok" if len(ok) == len(rows) else rows[-1]["status"],
                 "seconds_all": [r["seconds"] for r in rows]}
            base = ok if ok else rows
            s["seconds"] = statistics.median(r["seconds"] for r in base)
            s["peak_rss"] = max(r["peak_rss"] for r in base)
            s["peak_rss_median"] = statistics.median(r["peak_rss"] for r in base)
            s["output_bytes"] = statistics.median(r["output_bytes"] for r in base)
            s["throughput"] = s["measurements"] / s["seconds"] if ok and s["seconds"] > 0 else None
            phases = [r["phases"] for r in ok if "phases" in r]
            if phases:
                s["phases"] = {k: statistics.median(p.get(k, 0) for p in phases) for k in phases[0]}
            floors = [r["zstd_cpu_s"] for r in rows if "zstd_cpu_s" in r]
            if floors:
                s["zstd_cpu_s"] = statistics.median(floors)
            digests = {r["output_digest"] for r in ok if "output_digest" in r}
            if digests:
                s["output_digests"] = sorted(digests)
            for key in ("partitions", "spilled", "error"):
                vals = [r[key] for r in rows if key in r]
                if vals:
                    s[key] = vals[-1]
            summary.append(s)
        by = {(s["size"], s["config"]): s for s in summary}
        for s in summary:
            for b in "FSGP":
                ref = by.get((s["size"], "baseline P (Polars)" if b == "P" else f"baseline {b}"))
                if ref and ref["status"] == "ok" and s["status"] == "ok":
                    s[f"ratio_{b}"] = s["seconds"] / ref["seconds"]
        return summary

    def targets(self, summary):
        """Issue #12's targets, measured in this run."""
        by = {(s["size"], s["config"]): s for s in summary}
        w = self.threads
        big = "20m"
        out = []
        s = by.get((big, f"streaming w{w}"))
        if s is None or s["status"] != "ok":
            out.append(("streaming at 20M", "not measured", "-" if s is None else s["status"]))
            return out
        f, so, g = (by.get((big, f"baseline {b}")) for b in "FSG")
        f_ok = f and f["status"] == "ok"
        if so and so["status"] == "ok":
            r = s["seconds"] / so["seconds"]
            out.append(("20M streaming, zstd:3 <= 0.5 x S", "met" if r <= 0.5 else "missed",
                        f"{s['seconds']:.1f} s vs S {so['seconds']:.1f} s = {r:.2f} x"))
        if f_ok and s.get("zstd_cpu_s"):
            floor = f["seconds"] + s["zstd_cpu_s"] / w
            r = s["seconds"] / floor
            out.append(("20M streaming, zstd:3 <= 1.5 x floor (F + Z / cores)", "met" if r <= 1.5 else "missed",
                        f"{s['seconds']:.1f} s vs floor {f['seconds']:.1f} + {s['zstd_cpu_s']:.1f} / {w} = "
                        f"{floor:.1f} s: {r:.2f} x"))
        u = by.get((big, f"streaming w{w}, uncompressed"))
        if u and u["status"] == "ok" and f_ok:
            r = u["seconds"] / f["seconds"]
            out.append(("20M uncompressed <= 2.5 x F", "met" if r <= 2.5 else "missed",
                        f"{u['seconds']:.1f} s vs F {f['seconds']:.1f} s = {r:.2f} x; zstd:3 costs "
                        f"{s['seconds'] - u['seconds']:.1f} s of {s['seconds']:.1f} s"))
        if f_ok and s.get("phases", {}).get("map") is not None:
            r = s["phases"]["map"] / f["seconds"]
            out.append(("20M scan+partition (map phase) <= 1.3 x F", "met" if r <= 1.3 else "missed",
                        f"map {s['phases']['map']:.1f} s vs F {f['seconds']:.1f} s = {r:.2f} x"))
        small = [x for x in summary if x["size"] == big and x["config"].startswith(f"streaming w{w},")
                 and x["config"].endswith(str(self.args.small_limit))]
        if small:
            x = small[0]
            same = x["status"] == "ok" and x.get("output_digests") == s.get("output_digests")
            out.append((f"20M builds under --memory-limit {self.args.small_limit} with the same bytes",
                        "met" if same else "missed",
                        f"{x['status']}, {x['seconds']:.1f} s, peak RSS {fmt_bytes(x['peak_rss'])}, "
                        f"proberows.json {'identical' if same else 'differs'}"))
        pol = by.get((big, "baseline P (Polars)"))
        if pol:
            fig = (f"Polars {pol['seconds']:.1f} s at {fmt_bytes(pol['peak_rss'])} peak; ours {s['seconds']:.1f} s "
                   f"at {fmt_bytes(s['peak_rss'])} = {s['seconds'] / pol['seconds']:.2f} x"
                   if pol["status"] == "ok" else f"Polars: {pol['status']}")
            out.append(("(side by side) 20M against Polars group_by + sort_by, collect only", "measured", fig))
        if g:
            if g["status"] != "ok":
                out.append(("(kept) >= 20x faster than G", "met", f"G: {g['status']}"))
            else:
                r = g["seconds"] / s["seconds"]
                out.append(("(kept) >= 20x faster than G", "met" if r >= 20 else "missed", f"{r:.1f} x"))
        h = by.get(("200m", f"streaming w{self.large_workers[-1] if self.large_workers else w}"))
        if h is not None:
            ok = h["status"] == "ok"
            out.append(("200M <= 180 s under --memory-limit 2GB", "met" if ok and h["seconds"] <= 180 else "missed",
                        f"{h['status']}, {h['seconds']:.1f} s"))
            out.append(("200M peak RSS <= 2 GiB", "met" if ok and h["peak_rss"] <= 2**31 else "missed",
                        fmt_bytes(h["peak_rss"])))
            if ok:
                r = h["seconds"] / s["seconds"]
                out.append(("time(200M) / time(20M) <= 10.5", "met" if r <= 10.5 else "missed",
                            f"{h['seconds']:.1f} / {s['seconds']:.1f} = {r:.2f}"))
        return out


# ------------------------------------------------------------------ outputs
def fmt_bytes(n):
    if n is None:
        return "-"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}" if unit == "GiB" else f"{n / scale:.0f} {unit}"
    return f"{n:.0f} B"


def fmt_count(n):
    for unit, scale in (("M", 1e6), ("K", 1e3)):
        if n >= scale:
            v = n / scale
            return f"{v:g}{unit}" if v == int(v) else f"{v:.1f}{unit}"
    return str(n)


def markdown(summary, targets, info, meta):
    lines = []
    lines.append(f"Run of {meta['date']} UTC: `{meta['command']}`; medians of {meta['runs']} run(s); "
                 f"memory limit {meta['memory_limit']} for proberows and DuckDB alike; DuckDB baselines with "
                 f"{meta['threads']} thread(s); ArrayRecord options `{AR_OPTIONS}`.")
    lines.append("")
    lines.append(f"Machine: {info.get('nproc')} vCPU {info.get('cpu')}"
                 + (f" at {info['cpu_mhz'] / 1000:.1f} GHz" if info.get("cpu_mhz") else "")
                 + f", {fmt_bytes(info.get('ram_bytes'))} RAM, disk {info.get('disk', '?')}, "
                 f"Linux {info.get('kernel')}. Load average (1 min) during the runs: "
                 f"min {meta['load_min']:.1f}, median {meta['load_median']:.1f}, max {meta['load_max']:.1f} "
                 + ("(above the benchmark's own threads: the machine was shared; see the note below)."
                    if meta['load_median'] > meta['threads'] + 0.5 else
                    "(no more than the benchmark's own threads; see the note below)."))
    lines.append("")
    lines.append("| input | config | status | wall s (median) | runs (s) | measurements/s | peak RSS | output | "
                 "x F | x S | x G | x P |")
    lines.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    order = {"baseline F": 0, "baseline S": 1, "baseline G": 2, "baseline P (Polars)": 3}
    for s in sorted(summary, key=lambda s: (s["measurements"], order.get(s["config"], 3), s["config"])):
        def ratio(b):
            v = s.get(f"ratio_{b}")
            return "-" if v is None or s["config"].startswith(f"baseline {b}") else f"{v:.2f}"
        tp = f"{s['throughput']:,.0f}" if s.get("throughput") else "-"
        lines.append(
            f"| {fmt_count(s['measurements'])} / {fmt_count(s['probes'])} | {s['config']} | {s['status']} | "
            f"{s['seconds']:.2f} | {', '.join(f'{x:.1f}' for x in s['seconds_all'])} | {tp} | "
            f"{fmt_bytes(s['peak_rss'])} | {fmt_bytes(s['output_bytes']) if s['output_bytes'] else '-'} | "
            f"{ratio('F')} | {ratio('S')} | {ratio('G')} | {ratio('P')} |")
    lines.append("")
    lines.append("Peak RSS is the maximum over the runs (`/usr/bin/time -f %M`, whole process); "
                 "x F/S/G/P = our median wall time divided by the baseline's, same run. Baseline P is Polars "
                 "(nodejs-polars 0.25.2, `group_by(prb_id).agg(all().sort_by(timestamp))`, collect only, no memory "
                 "limit: Polars has none).")
    phase_rows = [s for s in summary if s.get("phases")]
    if phase_rows:
        lines.append("")
        lines.append("Where the time goes (proberows' own phase timings, medians, seconds):")
        lines.append("")
        lines.append("| input | config | phases |")
        lines.append("|---|---|---|")
        for s in sorted(phase_rows, key=lambda s: (s["measurements"], s["config"])):
            ph = "; ".join(f"{k} {v:.2f}" for k, v in s["phases"].items())
            extra = ""
            if s.get("partitions"):
                extra += f"; {s['partitions']} partitions"
            if s.get("spilled"):
                extra += f", spilled {s['spilled']}"
            lines.append(f"| {fmt_count(s['measurements'])} | {s['config']} | {ph}{extra} |")
    if targets:
        lines.append("")
        lines.append(f"Targets (2 cores, 20M, streaming, `{AR_OPTIONS}`, `--memory-limit {meta['memory_limit']}`):")
        lines.append("")
        lines.append("| target | result | figures |")
        lines.append("|---|---|---|")
        for name, res, fig in targets:
            lines.append(f"| {name} | **{res}** | {fig} |")
    lines.append("")
    lines.append("![throughput and peak RSS against input size](bench_results.svg)")
    return "\n".join(lines)


def svg_plot(summary, path, limit_bytes):
    """Two log-x panels: throughput and peak RSS against input size, one line per config."""
    configs = sorted({s["config"] for s in summary},
                     key=lambda c: (not c.startswith("baseline"), c))
    sizes = sorted({s["measurements"] for s in summary})
    if not sizes:
        return
    import math
    palette = ["#7f7f7f", "#bcbd22", "#8c564b", "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78",
               "#2ca02c", "#98df8a", "#d62728", "#9467bd"]
    W, H, PW, PH, L, T = 1200, 420, 380, 300, 70, 50
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" '
           f'font-size="12"><rect width="{W}" height="{H}" fill="white"/>']

    def panel(x0, title, key, ylabel, scale, hline=None, log_y=False):
        pts = [(s["measurements"], s[key]) for s in summary if s.get(key) and s["status"] == "ok"]
        if not pts:
            return
        ymax = max(v for _, v in pts) * 1.1
        if hline:
            ymax = max(ymax, hline[0] * 1.1)
        if log_y:
            lo = math.floor(math.log10(min(v for _, v in pts)))
            hi = math.ceil(math.log10(max(v for _, v in pts)))
            hi = max(hi, lo + 1)
            Y = lambda v: T + PH - (math.log10(v) - lo) / (hi - lo) * PH
            ticks = [m * 10 ** e for e in range(lo, hi + 1) for m in (1, 2, 5) if m * 10 ** e <= 10 ** hi]
        else:
            Y = lambda v: T + PH - v / ymax * PH
            ticks = [ymax * i / 5 for i in range(6)]
        lx0, lx1 = math.log10(sizes[0]), math.log10(sizes[-1])
        if lx1 == lx0:
            lx0, lx1 = lx0 - 0.5, lx1 + 0.5
        X = lambda m: x0 + (math.log10(m) - lx0) / (lx1 - lx0) * PW
        out.append(f'<text x="{x0 + PW / 2}" y="{T - 20}" text-anchor="middle" font-size="14">{title}</text>')
        out.append(f'<rect x="{x0}" y="{T}" width="{PW}" height="{PH}" fill="none" stroke="#333"/>')
        for v in ticks:
            out.append(f'<line x1="{x0}" x2="{x0 + PW}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="#eee"/>')
            out.append(f'<text x="{x0 - 5}" y="{Y(v) + 4:.1f}" text-anchor="end">{v / scale:,.{0 if v / scale >= 1 else 1}f}</text>')
        for m in sizes:
            out.append(f'<text x="{X(m):.1f}" y="{T + PH + 16}" text-anchor="middle">{fmt_count(m)}</text>')
        out.append(f'<text x="{x0 + PW / 2}" y="{T + PH + 34}" text-anchor="middle">input measurements (log)</text>')
        out.append(f'<text transform="translate({x0 - 55},{T + PH / 2}) rotate(-90)" text-anchor="middle">'
                   f'{ylabel}</text>')
        if hline:
            out.append(f'<line x1="{x0}" x2="{x0 + PW}" y1="{Y(hline[0]):.1f}" y2="{Y(hline[0]):.1f}" '
                       f'stroke="red" stroke-dasharray="6,4"/>')
            out.append(f'<text x="{x0 + PW - 4}" y="{Y(hline[0]) - 4:.1f}" text-anchor="end" fill="red">'
                       f'{hline[1]}</text>')
        for i, c in enumerate(configs):
            cp = sorted((s["measurements"], s[key]) for s in summary
                        if s["config"] == c and s.get(key) and s["status"] == "ok")
            if not cp:
                continue
            color = palette[i % len(palette)]
            dash = ' stroke-dasharray="4,3"' if c.startswith("baseline") else ""
            d = " ".join(f"{X(m):.1f},{Y(v):.1f}" for m, v in cp)
            out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
            for m, v in cp:
                out.append(f'<circle cx="{X(m):.1f}" cy="{Y(v):.1f}" r="3" fill="{color}"/>')

    panel(L, "Throughput (measurements/s, thousands, log)", "throughput", "thousand measurements/s", 1e3,
          log_y=True)
    panel(L + PW + 90, "Peak RSS of the whole process (MiB)", "peak_rss", "MiB", 2**20,
          (limit_bytes, "memory limit"))
    lx = L + 2 * PW + 110
    for i, c in enumerate(configs):
        color = palette[i % len(palette)]
        y = T + 10 + i * 18
        out.append(f'<line x1="{lx}" x2="{lx + 20}" y1="{y}" y2="{y}" stroke="{color}" stroke-width="2"/>')
        failed = not any(s["config"] == c and s["status"] == "ok" for s in summary)
        label = c + (" (no successful run)" if failed else "")
        out.append(f'<text x="{lx + 25}" y="{y + 4}">{label}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


BEGIN = "<!-- bench:results:begin (generated by scripts/bench.sh; do not edit by hand) -->"
END = "<!-- bench:results:end -->"


def update_doc(doc, text):
    with open(doc) as f:
        content = f.read()
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in content and END in content:
        content = content[:content.index(BEGIN)] + block + content[content.index(END) + len(END):]
    else:
        content = content.rstrip("\n") + "\n\n## End-to-end results\n\n" + block + "\n"
    with open(doc, "w") as f:
        f.write(content)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--results-dir", required=True)
    ap.add_argument("--sizes", default="500k,5m,20m")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--large-workers", default="",
                    help="worker counts for every size but the smallest (default: --workers)")
    ap.add_argument("--sequential-runs", type=int, default=1 << 30,
                    help="runs of the (slow, single-threaded) sequential strategy")
    ap.add_argument("--memory-limit", default="1GB")
    ap.add_argument("--small-limit", default="256MB",
                    help="also build 20M with this limit and check the bytes are the same ('' to skip)")
    ap.add_argument("--large-memory-limit", default="2GB", help="memory limit of the 200M runs")
    ap.add_argument("--large-runs", type=int, default=0, help="runs of the 200M configurations (default: --runs)")
    ap.add_argument("--polars-modules", default="",
                    help="node_modules folder holding nodejs-polars (bench/tools/setup_polars.sh); '' skips Polars")
    ap.add_argument("--polars-max", type=int, default=20_000_000,
                    help="largest input (measurements) Polars runs on (it holds everything in memory)")
    ap.add_argument("--no-uncompressed", action="store_true",
                    help="skip the streaming build with uncompressed output (the cost-of-zstd reference)")
    ap.add_argument("--timeout", type=float, default=1800,
                    help="seconds after which one command is killed and recorded as a timeout")
    ap.add_argument("--verify", action="store_true", help="proberows verify every output (slow)")
    ap.add_argument("--update-doc", default="", help="docs/BENCHMARKS.md to regenerate the results section of")
    ap.add_argument("--command", default="scripts/bench.sh")
    ap.add_argument("--from-json", default="", help="re-render outputs from this results.json, run nothing")
    args = ap.parse_args()
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for s in args.sizes:
        if s not in SIZES:
            sys.exit(f"bench: unknown size {s!r} (known: {', '.join(SIZES)})")
    args.sizes.sort(key=lambda s: SIZES[s][0])
    os.makedirs(args.results_dir, exist_ok=True)

    bench = Bench(args)
    started = datetime.datetime.utcnow()
    if args.from_json:
        # Re-render the table, plot and doc section from an earlier run.
        with open(args.from_json) as f:
            old = json.load(f)
        bench.results = old["runs"]
        bench.gen_seconds = old["meta"].get("generate_seconds", {})
        started = datetime.datetime.strptime(old["meta"]["date"], "%Y-%m-%d %H:%M")
        args.command = old["meta"]["command"]
        args.runs = old["meta"]["runs"]
    else:
        bench.on_size_done = lambda: write_outputs(bench, args, started, final=False)
        bench.run()
    write_outputs(bench, args, started, final=True)


def write_outputs(bench, args, started, final):
    summary = bench.summarize()
    targets = bench.targets(summary) if any(s["size"] == "20m" for s in summary) else []
    info = machine_info()
    loads = [r["load1"] for r in bench.results]
    meta = {"date": f"{started:%Y-%m-%d %H:%M}", "command": args.command, "runs": args.runs,
            "memory_limit": args.memory_limit, "threads": bench.threads, "sizes": args.sizes,
            "load_min": min(loads), "load_median": statistics.median(loads), "load_max": max(loads),
            "generate_seconds": bench.gen_seconds,
            "elapsed_seconds": None if args.from_json else (datetime.datetime.utcnow() - started).total_seconds()}
    with open(os.path.join(args.results_dir, "results.json"), "w") as f:
        json.dump({"meta": meta, "machine": info, "summary": summary, "targets": targets,
                   "runs": bench.results}, f, indent=1)
    fields = ["size", "measurements", "probes", "config", "run", "status", "seconds", "peak_rss",
              "output_bytes", "threads", "memory_limit", "load1"]
    with open(os.path.join(args.results_dir, "results.csv"), "w") as f:
        f.write(",".join(fields) + "\n")
        for r in bench.results:
            f.write(",".join(str(r.get(k, "")) for k in fields) + "\n")
    text = markdown(summary, targets, info, meta)
    with open(os.path.join(args.results_dir, "results.md"), "w") as f:
        f.write(text + "\n")
    svg = os.path.join(args.results_dir, "bench_results.svg")
    svg_plot(summary, svg, bench.limit_bytes)
    if args.update_doc:
        update_doc(args.update_doc, text)
        shutil.copy(svg, os.path.join(os.path.dirname(args.update_doc), "bench_results.svg"))
    if not final:
        return
    print(text)
    failed = [r for r in bench.results if r["status"].startswith("failed")]
    if failed:
        for r in failed:
            print(f"bench: {r['size']} {r['config']} failed: {r.get('error', '')}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
