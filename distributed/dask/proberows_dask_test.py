"""End-to-end test of the Dask driver on a real local Dask cluster.

Starts `dask scheduler` and two `dask worker` processes on 127.0.0.1 (each in
its own process group, stopped at the end whatever happens), runs
proberows_dask.py on a small generated dataset and checks that the output
folder equals `proberows build`'s with the same options, byte for byte:
  * a plain run, then the same command again (nothing left to do);
  * a run whose reduce task fails: the driver stops with the task's error
    line, and the next run resumes, skipping the finished tasks;
  * a run during which the worker running a map task is SIGKILLed (with the
    task and everything it started): the scheduler runs the task again on
    the other worker.

Run by ctest (CMakeLists.txt) with PROBEROWS_BINARY set, or by hand:
  PROBEROWS_BINARY=build/release/proberows /usr/bin/python3 -m pytest -q distributed/dask/proberows_dask_test.py
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from local_cluster import LocalDaskCluster, group_alive  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "proberows_dask.py")
PYTHON = sys.executable
BUILD_OPTIONS = [
    "--static-columns", "prb_lat,prb_lon,prb_asn,prb_country",
    "--train-shards", "4", "--test-shards", "2", "--seed", "3",
]  # fmt: skip
MAP_TASKS, REDUCE_TASKS = 3, 2


def binary():
    path = os.environ.get("PROBEROWS_BINARY")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"set PROBEROWS_BINARY to the proberows binary (got {path!r})")
    return os.path.abspath(path)


def read_tree(folder):
    """Every file of `folder` (no subfolders expected): name -> bytes."""
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            out[name] = f.read()
    return out


def assert_same_tree(got_dir, want_dir):
    got, want = read_tree(got_dir), read_tree(want_dir)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], f"{name} differs from build's"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("dask")
    exe = binary()
    data = base / "data"
    subprocess.run(
        [exe, "generate", "-o", str(data), "-n", "120000", "-p", "3000", "--files", "4", "--seed", "5"],
        check=True,
        capture_output=True,
    )
    ref = base / "ref"
    subprocess.run(
        [exe, "build", "-i", str(data), "-o", str(ref), "-j", "1", "-m", "256MB", "--no-progress"] + BUILD_OPTIONS,
        check=True,
        capture_output=True,
    )
    cluster = LocalDaskCluster(base)
    try:
        cluster.start(workers=2)
        yield {"base": base, "exe": exe, "data": data, "ref": ref, "cluster": cluster}
    finally:
        leftovers = cluster.stop()
        assert not leftovers, f"processes left running: {leftovers}"


def run_driver(env, name, binary_path=None, extra=()):
    base = env["base"]
    argv = [PYTHON, DRIVER, "--scheduler", env["cluster"].address, "--work", str(base / f"work-{name}")]
    argv += ["--map-tasks", str(MAP_TASKS), "--reduce-tasks", str(REDUCE_TASKS), "-m", "256MB", "-j", "1"]
    argv += ["--binary", binary_path or env["exe"]] + list(extra)
    argv += ["--", "-i", str(env["data"]), "-o", str(base / f"out-{name}")] + BUILD_OPTIONS
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=str(base))


def manifest(env, name, task):
    with open(env["base"] / f"work-{name}" / f"{task}.json") as f:
        return json.load(f)


def write_wrapper(path, body, exe):
    """A --binary that runs `body` (sh) before exec'ing the real proberows."""
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\n{body}\nexec "{exe}" "$@"\n')
    os.chmod(path, 0o755)


def test_output_equals_build_and_rerun_does_nothing(env):
    r = run_driver(env, "plain", extra=["--keep-work"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert_same_tree(env["base"] / "out-plain", env["ref"])
    out = r.stdout
    assert re.search(r"^proberows_dask: plan on tcp://127\.0\.0\.1:\d+: proberows plan [0-9a-f]{16}: 4 input file", out, re.M)
    # Each task is named as its command names it (map 0/N is `proberows map -w W 0/N`).
    for i in range(MAP_TASKS):
        assert re.search(rf"^proberows_dask: map {i}/{MAP_TASKS} on tcp://\S+ in [\d.]+ s: proberows map {i}/{MAP_TASKS}: ",
                         out, re.M), out
    assert f"proberows_dask: map {MAP_TASKS}/{MAP_TASKS}" not in out
    assert "proberows_dask: split on tcp://127.0.0.1:" in out
    for j in range(REDUCE_TASKS):
        assert re.search(rf"^proberows_dask: reduce {j}/{REDUCE_TASKS} on tcp://\S+ in [\d.]+ s: proberows reduce "
                         rf"{j}/{REDUCE_TASKS}: ", out, re.M), out
    assert re.search(r"^proberows build: 120000 measurements -> 3000 rows", out, re.M)
    assert f"strategy distributed ({MAP_TASKS} map x {REDUCE_TASKS} reduce tasks)" in out
    # Both workers ran tasks.
    assert len(set(re.findall(r" on (tcp://127\.0\.0\.1:\d+) in ", out))) == 2, out
    # The manifests' stats: the map tasks read the input about once, and a
    # task's peak is its own (not its Dask worker's).
    read = [manifest(env, "plain", f"map-{i:05d}-of-{MAP_TASKS:05d}")["stats"] for i in range(MAP_TASKS)]
    input_bytes = sum(os.path.getsize(env["data"] / n) for n in os.listdir(env["data"]))
    assert input_bytes * 0.9 < sum(s["bytes_read"] for s in read) < input_bytes * 1.5
    for s in read:
        assert 0 < s["peak_rss_bytes"] < 256e6

    again = run_driver(env, "plain", extra=["--keep-work"])
    assert again.returncode == 0, again.stdout + again.stderr
    assert "proberows plan" in again.stdout and "(unchanged: finished tasks are kept)" in again.stdout
    assert "the output of this plan is already published" in again.stdout
    assert "proberows_dask: map " not in again.stdout
    assert_same_tree(env["base"] / "out-plain", env["ref"])


def test_plan_error_stops_the_driver_with_its_line(env):
    base = env["base"]
    argv = [PYTHON, DRIVER, "--scheduler", env["cluster"].address, "--work", str(base / "work-bad")]
    argv += ["--map-tasks", "2", "--reduce-tasks", "1", "--binary", env["exe"]]
    argv += ["--", "-i", str(base / "no-such-input"), "-o", str(base / "out-bad")]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=str(base))
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout
    assert lines[0].startswith("proberows_dask: plan failed: proberows: error: "), lines[0]
    assert "no-such-input" in lines[0] and "(exit code 1 on tcp://127.0.0.1:" in lines[0], lines[0]
    assert not (base / "out-bad").exists()


def test_failed_task_stops_the_build_and_a_rerun_resumes(env):
    failing = env["base"] / "failing-proberows"
    write_wrapper(
        failing,
        'if [ "$1" = reduce ] && [ "$4" = "1/2" ]; then echo "proberows: error: disk quota exceeded (injected)" >&2; '
        "exit 1; fi",
        env["exe"],
    )
    r = run_driver(env, "resume", binary_path=str(failing))
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(
        rf"^proberows_dask: reduce 1/{REDUCE_TASKS} failed: proberows: error: disk quota exceeded \(injected\) "
        r"\(exit code 1 on tcp://127\.0\.0\.1:\d+: .*failing-proberows reduce -w ",
        r.stdout,
        re.M,
    ), r.stdout
    assert not (env["base"] / "out-resume").exists()

    r = run_driver(env, "resume")
    assert r.returncode == 0, r.stdout + r.stderr
    skipped = int(re.search(r"resuming: (\d+) task\(s\) already done are skipped", r.stdout).group(1))
    assert skipped >= MAP_TASKS + 1  # the maps and the split at least; reduce 0 too if it had finished
    assert "proberows_dask: map " not in r.stdout
    assert f": proberows reduce 1/{REDUCE_TASKS}: " in r.stdout
    assert_same_tree(env["base"] / "out-resume", env["ref"])


def test_peak_rss_is_the_task_own_when_started_by_a_large_process(env, tmp_path):
    """A stage started by a large parent (a Dask worker) reports its own peak RSS."""
    work = tmp_path / "work"
    exe = env["exe"]
    common = ["-i", str(env["data"]), "-o", str(tmp_path / "out")] + BUILD_OPTIONS
    subprocess.run([exe, "plan", "-w", str(work), "--map-tasks", "1"] + common, check=True, capture_output=True)
    subprocess.run([exe, "map", "-w", str(work), "0", "-j", "1", "-m", "256MB"], check=True, capture_output=True)
    ballast = bytearray(512 << 20)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    r = subprocess.run([exe, "split", "-w", str(work), "-m", "256MB"], check=True, capture_output=True, text=True)
    del ballast
    with open(work / "split.json") as f:
        peak = json.load(f)["stats"]["peak_rss_bytes"]
    assert 0 < peak < 128 << 20, r.stdout


def test_killed_worker_task_reruns_elsewhere(env):
    cluster = env["cluster"]
    marks = env["base"] / "marks"
    marks.mkdir()
    slow = env["base"] / "slow-proberows"
    # The first attempt of map task 1 says where it runs, then sleeps long
    # enough for the test to kill its worker; later attempts go straight on.
    write_wrapper(
        slow,
        f'if [ "$1" = map ] && [ "$4" = "1/{MAP_TASKS}" ] && mkdir "{marks}/map1" 2>/dev/null; then\n'
        f'  echo $$ > "{marks}/map1/pid.tmp" && mv "{marks}/map1/pid.tmp" "{marks}/map1/pid"\n'
        "  sleep 60\n"
        "fi",
        env["exe"],
    )
    base = env["base"]
    argv = [PYTHON, DRIVER, "--scheduler", cluster.address, "--work", str(base / "work-kill")]
    argv += ["--map-tasks", str(MAP_TASKS), "--reduce-tasks", str(REDUCE_TASKS), "-m", "256MB", "-j", "1"]
    argv += ["--binary", str(slow), "--keep-work", "--", "-i", str(env["data"]), "-o", str(base / "out-kill")]
    argv += BUILD_OPTIONS
    driver = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(base), start_new_session=True
    )
    try:
        pid_file = marks / "map1" / "pid"
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert driver.poll() is None, driver.communicate()
            assert time.monotonic() < deadline, "map task 1 never started"
            time.sleep(0.05)
        pid = int(pid_file.read_text())
        victim = cluster.worker_of(pid)
        assert victim is not None, f"map task 1 (pid {pid}) does not run on a worker of this test"
        # The task is running and has not committed.
        assert not (base / "work-kill" / f"map-00001-of-{MAP_TASKS:05d}.json").exists()
        cluster.kill(victim)
        assert not group_alive(cluster.procs[victim].pid)
        out, err = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
    print(out, err)  # shown when the test fails
    assert driver.returncode == 0, out + err
    assert_same_tree(base / "out-kill", env["ref"])
    # Map task 1 ran again elsewhere: its committed attempt is not the killed one.
    attempt = manifest(env, "kill", f"map-00001-of-{MAP_TASKS:05d}")["attempt"]
    assert f"-{pid}-" not in attempt, attempt
    assert re.search(rf"map 1/{MAP_TASKS} on tcp://127\.0\.0\.1:\d+ in [\d.]+ s: proberows map 1/{MAP_TASKS}:", out)
    # Nothing of the killed attempt is left in the work folder.
    assert os.listdir(base / "work-kill" / f"map-00001-of-{MAP_TASKS:05d}") == [attempt]
