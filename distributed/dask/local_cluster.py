"""A real local Dask cluster for tests and benchmarks: `dask scheduler` and
`dask worker` processes on 127.0.0.1, each in its own process group so that
stopping one (or killing it, to simulate a lost machine) takes whatever it
started with it. Used by proberows_dask_test.py and bench/distributed_bench.py.

    cluster = LocalDaskCluster(folder)       # logs go to folder/NAME.log
    try:
        cluster.start(workers=2)             # cluster.address: tcp://127.0.0.1:PORT
        ...
        cluster.kill("worker0")              # SIGKILL the worker and all it started
    finally:
        cluster.stop()                       # SIGTERM, then SIGKILL, every group
"""

import json
import os
import signal
import subprocess
import time


class ClusterError(RuntimeError):
    pass


def dask_command(name):
    """`dask NAME` (Debian 12's entry point), or the older `dask-NAME`."""
    for argv in (["dask", name], [f"dask-{name}"]):
        try:
            if subprocess.run(argv + ["--help"], capture_output=True).returncode == 0:
                return argv
        except FileNotFoundError:
            continue
    raise ClusterError(f"neither `dask {name}` nor `dask-{name}` runs: install python3-distributed (scripts/setup.sh)")


def group_alive(pgid):
    """Whether a process of group `pgid` still runs (zombies waiting for init
    to reap them do not count)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


class LocalDaskCluster:
    def __init__(self, folder, worker_args=()):
        self.folder = str(folder)
        self.worker_args = list(worker_args)
        self.procs = {}  # name -> Popen (its pid is its process group)
        self.address = None

    def _start(self, name, argv):
        with open(os.path.join(self.folder, f"{name}.log"), "wb") as log:
            self.procs[name] = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.folder,
            )

    def start(self, workers, nthreads=1, timeout=60):
        scheduler_file = os.path.join(self.folder, "scheduler.json")
        self._start(
            "scheduler",
            dask_command("scheduler")
            + ["--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", scheduler_file]
            # Exits by itself if whoever started it dies without stopping it.
            + ["--idle-timeout", "600"],
        )
        deadline = time.monotonic() + timeout
        while not os.path.exists(scheduler_file):
            if self.procs["scheduler"].poll() is not None:
                raise ClusterError(f"the Dask scheduler exited: {self.log('scheduler')}")
            if time.monotonic() > deadline:
                raise ClusterError("the Dask scheduler did not start")
            time.sleep(0.1)
        time.sleep(0.1)  # the file is written in one go, but not atomically
        with open(scheduler_file) as f:
            self.address = json.load(f)["address"]
        for i in range(workers):
            self._start(
                f"worker{i}",
                dask_command("worker")
                + [self.address, "--host", "127.0.0.1", "--nthreads", str(nthreads), "--no-dashboard"]
                + ["--name", f"worker{i}", "--death-timeout", "60"]
                + self.worker_args,
            )
        from distributed import Client

        with Client(self.address, timeout=f"{timeout}s") as client:
            client.wait_for_workers(workers, timeout=timeout)

    def workers(self):
        return [n for n in self.procs if n != "scheduler"]

    def worker_of(self, pid):
        """The worker whose process group holds `pid`, or None."""
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            return None
        return next((n for n in self.workers() if self.procs[n].pid == pgid), None)

    def log(self, name):
        with open(os.path.join(self.folder, f"{name}.log"), errors="replace") as f:
            return f.read()[-2000:]

    def kill(self, name):
        """SIGKILLs process `name` and everything in its group (a lost machine)."""
        p = self.procs[name]
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(timeout=30)

    def stop(self):
        """Stops the workers, then the scheduler; returns the names of the
        groups still alive afterwards (none, normally)."""
        for name in self.workers() + ["scheduler"]:
            p = self.procs.get(name)
            if p is None:
                continue
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            # Children that outlived their leader keep the group alive.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while True:
            alive = [n for n, p in self.procs.items() if group_alive(p.pid)]
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.1)
