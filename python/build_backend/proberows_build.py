"""The PEP 517 build backend of `pip install .` / `pip wheel .` (pyproject.toml).

It builds the `proberows` package with the project's own CMake for the
interpreter that runs pip, and packs a wheel:

    proberows/__init__.py, _cli.py, ...      the Python package (python/proberows/)
    proberows/_proberows.<SOABI>.so          the extension, RPATH $ORIGIN/lib
    proberows/bin/proberows                  the command line (the `proberows` console script runs it)
    proberows/lib/libduckdb.so               DuckDB, found by both through their relative RPATH

Why a backend of its own (standard library only, no build requirements)
rather than setuptools: the wheel is `cmake --install` of the project's own
build (-DPROBEROWS_WHEEL_LAYOUT=ON), and it must build offline with any
interpreter: pyenv's and a fresh venv have setuptools but not `wheel` (which
setuptools < 70.1 needs for bdist_wheel), and PyPI may be unreachable, so
pip's build isolation could install nothing. With no build requirements,
`pip install .` works with or without --no-build-isolation.

NumPy: the extension uses NumPy's C API, so it is compiled against the NumPy
of the target environment (the interpreter running pip, its own site-packages
even under pip's build isolation, which would hide them), and the wheel
requires `numpy>=` that version (NumPy's C API is backward compatible within
a major version). Without NumPy there the build stops with a message that
says how to get it.

Settings (pip's --config-settings KEY=VALUE, or the environment):
    build-dir   (PROBEROWS_BUILD_DIR)   CMake build folder; default
                build/pip-<SOABI>-<hash of the interpreter path> in the checkout,
                kept between installs, so a reinstall only rebuilds what changed
    cmake-args  (PROBEROWS_CMAKE_ARGS)  extra CMake arguments, space-separated
    jobs        (PROBEROWS_JOBS)        parallel compile jobs (default: 2)
"""

import base64
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class BuildError(Exception):
    pass


# ---------------------------------------------------------------- project metadata


def _project():
    """The [project] table of pyproject.toml (name, version, ...)."""
    path = os.path.join(SOURCE_DIR, "pyproject.toml")
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib
        except ImportError:
            raise BuildError("building proberows needs Python >= 3.11 (tomllib) or the tomli package") from None
    with open(path, "rb") as f:
        return tomllib.load(f)["project"]


def _clean_env():
    """This environment without pip's build isolation (PYTHONPATH, PYTHONNOUSERSITE):
    the interpreter then sees its own site-packages, whose NumPy the module is for."""
    env = dict(os.environ)
    for var in ("PYTHONPATH", "PYTHONNOUSERSITE", "PYTHONHOME"):
        env.pop(var, None)
    return env


def _target_numpy():
    """(version, include folder) of the interpreter's own NumPy, or None."""
    probe = "import numpy, sys; sys.stdout.write(numpy.__version__ + '\\n' + numpy.get_include())"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_clean_env(), check=False)
    if r.returncode != 0:
        return None
    version, include = r.stdout.split("\n", 1)
    return version.strip(), include.strip()


def _numpy_requirement(numpy):
    if numpy is None:
        return "numpy"
    major = int(numpy[0].split(".")[0])
    # Built against NumPy 1.x: loads into 1.x >= that version only (NumPy 2
    # refuses modules built for 1.x). Built against 2.x: any 2.x from then on.
    return f"numpy>={numpy[0]},<{major + 1}"


def _metadata(numpy):
    p = _project()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {p['name']}",
        f"Version: {p['version']}",
        f"Summary: {p.get('description', '')}",
        f"Requires-Python: {p.get('requires-python', '>=3')}",
    ]
    for dep in p.get("dependencies", []):
        if re.match(r"numpy\b", dep):
            dep = _numpy_requirement(numpy)
        lines.append(f"Requires-Dist: {dep}")
    lines.append("")
    readme = p.get("readme")
    if readme:
        lines.insert(-1, "Description-Content-Type: text/markdown")
        with open(os.path.join(SOURCE_DIR, readme), encoding="utf-8") as f:
            lines.append(f.read())
    return "\n".join(lines)


def _entry_points():
    scripts = _project().get("scripts", {})
    if not scripts:
        return None
    return "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())


def _tag():
    """cp311-cp311-linux_x86_64: this interpreter, its ABI, this platform."""
    impl = {"cpython": "cp"}.get(sys.implementation.name, sys.implementation.name)
    version = f"{impl}{sys.version_info[0]}{sys.version_info[1]}"
    soabi = sysconfig.get_config_var("SOABI") or ""
    m = re.match(r"cpython-(\d+)", soabi)
    abi = f"cp{m.group(1)}" if m else version
    if sysconfig.get_config_var("Py_DEBUG"):
        abi += "d"
    platform = re.sub(r"[-.]", "_", sysconfig.get_platform())
    return f"{version}-{abi}-{platform}"


def _dist_info_name():
    p = _project()
    return f"{p['name']}-{p['version']}.dist-info"


def _write_dist_info(folder, numpy, tag=None):
    dist_info = os.path.join(folder, _dist_info_name())
    os.makedirs(dist_info, exist_ok=True)
    with open(os.path.join(dist_info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata(numpy))
    with open(os.path.join(dist_info, "WHEEL"), "w") as f:
        f.write("Wheel-Version: 1.0\nGenerator: proberows_build\nRoot-Is-Purelib: false\n")
        f.write(f"Tag: {tag or _tag()}\n")
    entry_points = _entry_points()
    if entry_points:
        with open(os.path.join(dist_info, "entry_points.txt"), "w") as f:
            f.write(entry_points)
    return os.path.basename(dist_info)


# ---------------------------------------------------------------- CMake


def _setting(config_settings, key, env):
    value = (config_settings or {}).get(key)
    if value is None:
        value = os.environ.get(env)
    return value


def _run(argv, **kwargs):
    print("proberows_build: " + " ".join(shlex.quote(a) for a in argv), file=sys.stderr, flush=True)
    r = subprocess.run(argv, env=_clean_env(), check=False, **kwargs)
    if r.returncode != 0:
        raise BuildError(f"'{' '.join(argv[:2])} ...' failed with exit code {r.returncode} (its output is above)")


def _build_and_install(config_settings, staging):
    numpy = _target_numpy()
    if numpy is None:
        raise BuildError(
            f"proberows needs NumPy, and {sys.executable} (Python {sys.version.split()[0]}) cannot import it: "
            "the extension is compiled against the NumPy it will run with. Install NumPy into this environment "
            "first (`python -m pip install numpy`), or, offline on Debian, create the venv from Debian's Python "
            "with its packages: `/usr/bin/python3 -m venv --system-site-packages VENV` (python3-numpy)")
    for tool in ("cmake",):
        if shutil.which(tool) is None:
            raise BuildError(f"building proberows needs {tool} on the PATH (Debian: scripts/setup.sh)")
    build_dir = _setting(config_settings, "build-dir", "PROBEROWS_BUILD_DIR")
    if not build_dir:
        key = hashlib.sha256(os.path.realpath(sys.executable).encode()).hexdigest()[:8]
        soabi = sysconfig.get_config_var("SOABI") or "py"
        build_dir = os.path.join(SOURCE_DIR, "build", f"pip-{soabi}-{key}")
    build_dir = os.path.abspath(build_dir)
    jobs = _setting(config_settings, "jobs", "PROBEROWS_JOBS") or "2"
    extra = shlex.split(_setting(config_settings, "cmake-args", "PROBEROWS_CMAKE_ARGS") or "")
    configure = ["cmake", "-S", SOURCE_DIR, "-B", build_dir]
    if shutil.which("ninja") and not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        configure += ["-G", "Ninja"]
    configure += [
        "-DCMAKE_BUILD_TYPE=Release",
        f"-DPython_EXECUTABLE={sys.executable}",
        f"-DPython_NumPy_INCLUDE_DIR={numpy[1]}",
        "-DPROBEROWS_BUILD_PYTHON=ON",
        "-DPROBEROWS_WHEEL_LAYOUT=ON",
        "-DPROBEROWS_BUILD_TESTS=OFF",
        "-DPROBEROWS_BUILD_BENCH=OFF",
    ] + extra
    _run(configure, stdout=sys.stderr)
    _run(["cmake", "--build", build_dir, "-j", jobs, "--target", "_proberows", "proberows"], stdout=sys.stderr)
    _run(["cmake", "--install", build_dir, "--prefix", staging], stdout=sys.stderr)
    return numpy


# ---------------------------------------------------------------- wheel


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _pack(root, wheel_path):
    """Zips `root` (the package and its .dist-info) into a wheel with its RECORD."""
    files = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(folder, name)
            files.append((os.path.relpath(full, root).replace(os.sep, "/"), full))
    dist_info = _dist_info_name()
    record_path = f"{dist_info}/RECORD"
    # .dist-info last (as the wheel spec recommends), RECORD at the very end.
    files.sort(key=lambda f: (f[0].startswith(dist_info + "/"), f[0]))
    record = []
    with zipfile.ZipFile(wheel_path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for arc, full in files:
            if arc == record_path:
                continue
            with open(full, "rb") as f:
                data = f.read()
            info = zipfile.ZipInfo(arc, date_time=(2024, 1, 1, 0, 0, 0))
            mode = os.stat(full).st_mode
            info.external_attr = ((0o755 if mode & 0o111 else 0o644) | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
            record.append(_record_line(arc, data))
        record.append(f"{record_path},,")
        info = zipfile.ZipInfo(record_path, date_time=(2024, 1, 1, 0, 0, 0))
        info.external_attr = 0o100644 << 16
        z.writestr(info, "\n".join(record) + "\n")


def _wheel_name():
    p = _project()
    return f"{p['name']}-{p['version']}-{_tag()}.whl"


# ---------------------------------------------------------------- PEP 517 hooks


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    # Before any compiling, so that pip resolves the dependencies (NumPy)
    # first: a missing NumPy fails here in a second, not after the build.
    return _write_dist_info(metadata_directory, _target_numpy())


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    try:
        with tempfile.TemporaryDirectory(prefix="proberows-wheel-") as staging:
            numpy = _build_and_install(config_settings, staging)
            _write_dist_info(staging, numpy)
            name = _wheel_name()
            os.makedirs(wheel_directory, exist_ok=True)
            _pack(staging, os.path.join(wheel_directory, name))
            return name
    except BuildError as e:
        # pip shows this line at the end of the build output.
        print(f"proberows_build: error: {e}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


def build_sdist(sdist_directory, config_settings=None):
    """The tracked files of the checkout (git ls-files) as NAME-VERSION.tar.gz."""
    import tarfile

    p = _project()
    base = f"{p['name']}-{p['version']}"
    listed = subprocess.run(["git", "-C", SOURCE_DIR, "ls-files", "-z"], capture_output=True, check=True).stdout
    names = [n for n in listed.decode().split("\0") if n]
    path = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            full = os.path.join(SOURCE_DIR, name)
            if os.path.lexists(full):
                tar.add(full, arcname=f"{base}/{name}", recursive=False)
        with tempfile.TemporaryDirectory() as tmp:
            pkg_info = os.path.join(tmp, "PKG-INFO")
            with open(pkg_info, "w", encoding="utf-8") as f:
                f.write(_metadata(None))
            tar.add(pkg_info, arcname=f"{base}/PKG-INFO")
    return os.path.basename(path)
