#!/usr/bin/python3
"""Runs a distributed `proberows build` on a Dask cluster (docs/distributed.md).

Submits the stages to a `distributed.Client` as tasks that run the proberows
stage commands as subprocesses on the workers:

    plan -> map 0..N-1 -> split -> reduce 0..M-1 -> finalize

Every path is read by the workers, not by this driver: the work folder, the
input and the output must be on storage every worker mounts at the same
path, and --binary must run on every worker. Relative paths are taken from
this driver's folder (the tasks run there when a worker has it).

Tasks that `proberows status` shows done are skipped, so running the same
command again after a failure resumes the build. Every task has a unique key
and is impure: when a worker dies while running one, the scheduler runs it
again on another worker (up to `distributed.scheduler.allowed-failures`
times, 3 by default); a task that fails (non-zero exit) stops the build with
the command's error line.

    proberows_dask.py --scheduler tcp://10.0.0.1:8786 --work /shared/work \\
        --map-tasks 32 --reduce-tasks 16 --memory-limit 4GB --workers 2 \\
        --binary /shared/bin/proberows \\
        -- -i '/shared/atlas/*.parquet' -o /shared/out --train-shards 144 --test-shards 16

Everything after `--` (or any option this driver does not know) goes to
`proberows plan` unchanged. Exit codes: 0 ok, 1 a task failed, 2 usage.
Python 3 standard library plus Debian's python3-distributed.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid


def run_command(command, cwd, *dependencies):
    """Runs one proberows command on a worker; returns what it printed.

    `dependencies` (the results of the tasks this one waits for) are unused:
    they only order the tasks. Raises RuntimeError with the command's error
    line when it exits non-zero.
    """
    del dependencies
    argv = list(command)
    # The command dies with its worker: a killed worker must not leave a
    # task running that the scheduler is about to run again elsewhere.
    setpriv = shutil.which("setpriv")
    if setpriv:
        argv = [setpriv, "--pdeathsig", "KILL", "--"] + argv
    start = time.monotonic()
    proc = subprocess.run(
        argv,
        cwd=cwd if cwd and os.path.isdir(cwd) else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    where = socket.gethostname()
    try:
        from distributed import get_worker

        where = get_worker().address
    except (ImportError, ValueError):
        pass
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        error = next((l for l in lines if l.startswith("proberows: error:")), lines[-1] if lines else "")
        raise RuntimeError(
            f"{error or 'no error message'} (exit code {proc.returncode} on {where}: {' '.join(command)})"
        )
    return {"stdout": proc.stdout, "seconds": time.monotonic() - start, "worker": where}


def parse_status(text):
    """Parses `proberows status`: {task name ("map 0/3", "split", ...): done?}."""
    done = {}
    for line in text.splitlines():
        m = re.match(r"^\s+((?:map|reduce) \d+/\d+|split|finalize)\s+(done|not done)\b", line)
        if m:
            done[m.group(1)] = m.group(2) == "done"
    return done


def task_name(stage, i, n):
    """A task as the stage commands and `proberows status` name it: "map 0/3"."""
    return f"{stage} {i}/{n}"


def task_key(stage, i, n):
    """The task's Dask key part (no spaces or slashes)."""
    return f"{stage}-{i:05d}-of-{n:05d}"


def first_line(stdout):
    for line in stdout.splitlines():
        if line.startswith("proberows "):
            return line
    return stdout.strip().splitlines()[0] if stdout.strip() else ""


def parse_resources(text):
    out = {}
    for part in filter(None, (text or "").split(",")):
        name, _, value = part.partition("=")
        if not name or not value:
            raise argparse.ArgumentTypeError(f"--resources '{text}': expected NAME=COUNT[,NAME=COUNT]")
        out[name.strip()] = float(value)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run a distributed proberows build on a Dask cluster.",
        epilog="Options after -- (and options not listed here) go to `proberows plan`, "
        "e.g. -- -i 'data/*.parquet' -o out --static-columns prb_lat,prb_lon",
        allow_abbrev=False,
    )
    parser.add_argument("--scheduler", required=True, help="Dask scheduler address, e.g. tcp://10.0.0.1:8786")
    parser.add_argument("--work", "-w", required=True, help="work folder on storage every worker mounts")
    parser.add_argument("--map-tasks", type=int, required=True, help="map tasks (each reads ~1/N of the input)")
    parser.add_argument("--reduce-tasks", type=int, required=True, help="reduce tasks (each writes ~1/M of the shards)")
    parser.add_argument("--binary", default="proberows", help="proberows on the workers (default: from their PATH)")
    parser.add_argument("--memory-limit", "-m", default="2GB", help="memory limit of each task (default 2GB)")
    parser.add_argument("--workers", "-j", type=int, default=None, help="threads of each task (default: its cores)")
    parser.add_argument("--temp-dir", default=None, help="scratch folder of each task, local to its worker")
    parser.add_argument(
        "--resources", type=parse_resources, default={}, help="Dask resources each task needs, e.g. proberows=1"
    )
    parser.add_argument("--replace", action="store_true", help="replace another plan in the work folder")
    parser.add_argument("--keep-work", action="store_true", help="finalize keeps the tasks' files")
    parser.add_argument("--no-verify", action="store_true", help="finalize checks shard sizes, not checksums")
    args, plan_args = parser.parse_known_args(argv)
    if plan_args and plan_args[0] == "--":
        plan_args = plan_args[1:]
    if args.map_tasks < 1 or args.reduce_tasks < 1:
        parser.error("--map-tasks and --reduce-tasks must be at least 1")
    if not plan_args:
        parser.error("no build options for `proberows plan` (e.g. -- -i INPUT -o OUTPUT)")

    from distributed import Client, as_completed

    work = os.path.abspath(args.work)
    cwd = os.getcwd()
    binary = args.binary
    if os.sep in binary:
        binary = os.path.abspath(binary)
    task_flags = ["-m", args.memory_limit]
    if args.workers is not None:
        task_flags += ["-j", str(args.workers)]
    if args.temp_dir:
        task_flags += ["--temp-dir", args.temp_dir]

    def log(text):
        print(f"proberows_dask: {text}", flush=True)

    try:
        client = Client(args.scheduler, timeout="60s")
    except (OSError, TimeoutError) as e:
        log(f"cannot reach the Dask scheduler at {args.scheduler}: {e}")
        return 1
    run_id = uuid.uuid4().hex[:8]

    def submit(name, command, *deps):
        return client.submit(
            run_command,
            command,
            cwd,
            *deps,
            key=f"proberows-{name}-{run_id}",
            pure=False,
            resources=args.resources or None,
        )

    def run_now(name, command):
        try:
            return submit(name, command).result()
        except Exception as e:  # the command's error line
            raise RuntimeError(f"{name} failed: {e}") from e

    futures = {}  # key -> future
    tasks = {}  # key -> (stage, index)

    def add(stage, i, future):
        futures[future.key] = future
        tasks[future.key] = (stage, i)
        return future

    try:
        plan = [binary, "plan", "-w", work, "--map-tasks", str(args.map_tasks)]
        plan += ["--reduce-tasks", str(args.reduce_tasks), "--reduce-memory-limit", args.memory_limit]
        if args.workers is not None:
            plan += ["--reduce-workers", str(args.workers)]
        if args.replace:
            plan += ["--replace"]
        plan += ["-m", args.memory_limit] + plan_args
        log(f"plan on {args.scheduler}: {first_line(run_now('plan', plan)['stdout'])}")

        status = parse_status(run_now("status", [binary, "status", "-w", work])["stdout"])
        maps = [task_name("map", i, args.map_tasks) for i in range(args.map_tasks)]
        reduces = [task_name("reduce", j, args.reduce_tasks) for j in range(args.reduce_tasks)]
        map_keys = [task_key("map", i, args.map_tasks) for i in range(args.map_tasks)]
        reduce_keys = [task_key("reduce", j, args.reduce_tasks) for j in range(args.reduce_tasks)]
        if status.get("finalize"):
            log(f"the output of this plan is already published (see `{args.binary} status -w {work}`)")
            return 0
        # What must run: every reduce not done; the split when it is not
        # done; the maps not done when the split or a reduce must run (both
        # read the maps' files).
        reduce_todo = [j for j, name in enumerate(reduces) if not status.get(name)]
        split_todo = not status.get("split")
        map_todo = (
            [i for i, name in enumerate(maps) if not status.get(name)] if (split_todo or reduce_todo) else []
        )
        skipped = (args.map_tasks - len(map_todo)) + (0 if split_todo else 1) + (args.reduce_tasks - len(reduce_todo))
        if skipped:
            log(f"resuming: {skipped} task(s) already done are skipped")

        stage_tasks = {"map": args.map_tasks, "reduce": args.reduce_tasks}
        map_futures = []
        for i in map_todo:
            command = [binary, "map", "-w", work, f"{i}/{args.map_tasks}", "--no-progress"] + task_flags
            map_futures.append(add("map", i, submit(map_keys[i], command)))
        split_deps = map_futures
        if split_todo:
            command = [binary, "split", "-w", work, "--no-progress"] + task_flags
            split_deps = [add("split", 0, submit("split", command, *map_futures))]
        reduce_futures = []
        for j in reduce_todo:
            command = [binary, "reduce", "-w", work, f"{j}/{args.reduce_tasks}", "--no-progress"] + task_flags
            reduce_futures.append(add("reduce", j, submit(reduce_keys[j], command, *split_deps)))
        finalize = [binary, "finalize", "-w", work, "--no-progress"] + task_flags
        if args.keep_work:
            finalize.append("--keep-work")
        if args.no_verify:
            finalize.append("--no-verify")
        add("finalize", 0, submit("finalize", finalize, *(reduce_futures or split_deps)))

        for f in as_completed(list(futures.values())):
            stage, i = tasks[f.key]
            # Named as the stage commands name it: "map 0/3" is `proberows map -w W 0/3`.
            name = task_name(stage, i, stage_tasks[stage]) if stage in stage_tasks else stage
            try:
                result = f.result()
            except Exception as e:  # the task's error line (or KilledWorker)
                log(f"{name} failed: {e}")
                client.cancel(list(futures.values()))
                return 1
            progress = f"{name} on {result['worker']} in {result['seconds']:.1f} s"
            if stage == "finalize":
                log(progress)
                sys.stdout.write(result["stdout"])
            else:
                log(f"{progress}: {first_line(result['stdout'])}")
        return 0
    except KeyboardInterrupt:
        log("interrupted: cancelling the tasks (run the same command again to resume)")
        return 130
    except Exception as e:  # plan or status failed, or the scheduler went away
        log(str(e) if isinstance(e, RuntimeError) else f"failed: {e!r}")
        return 1
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
