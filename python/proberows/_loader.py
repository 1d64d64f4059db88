"""Loads the C++ extension (_proberows), or raises an ImportError that says
why it cannot load here: which interpreter and NumPy it was built for, what
is missing in this one, and how to fix it."""

import importlib
import importlib.machinery
import importlib.util
import os
import sys


def _build_info():
    try:
        from . import _build_info as info
    except ImportError:
        return None
    return info


def _numpy_here():
    """NumPy's version in this interpreter, "" if it has none (or it is broken)."""
    if importlib.util.find_spec("numpy") is None:
        return ""
    try:
        import numpy
    except Exception as e:  # noqa: BLE001 - any failure of numpy's own import
        return f"? (importing it fails: {e})"
    return getattr(numpy, "__version__", "?")


def _major(version):
    try:
        return int(version.split(".")[0])
    except ValueError:
        return None


def _explain(error):
    here = f"{sys.executable} (Python {sys.version.split()[0]})"
    info = _build_info()
    built = "an unknown interpreter"
    if info is not None:
        built = f"{info.PYTHON} (Python {info.PYTHON_VERSION}, {info.SOABI}, NumPy {info.NUMPY_VERSION})"
    reinstall = (f"reinstall proberows with this interpreter: `{sys.executable} -m pip install "
                 "--force-reinstall PATH_TO_PROBEROWS_CHECKOUT` (or build it with CMake for it: "
                 f"-DPython_EXECUTABLE={sys.executable})")
    package = os.path.dirname(os.path.abspath(__file__))
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    modules = [n for n in os.listdir(package) if n.startswith("_proberows.") and n.endswith(".so")]
    numpy = _numpy_here()
    text = str(error)
    if not any(n[len("_proberows"):] in suffixes for n in modules):
        what = (f"its extension ({', '.join(modules) or 'no _proberows*.so'}) is not for this interpreter, "
                f"which loads {suffixes[0]}")
        fix = reinstall
    elif numpy == "":
        need = f">= {info.NUMPY_VERSION}" if info is not None else ""
        what = f"NumPy is missing: proberows needs NumPy {need} (its rows are NumPy arrays)".replace("  ", " ")
        fix = ("install NumPy into this environment (`python -m pip install numpy`), or, offline on Debian, use "
               "a venv made from Debian's Python with its packages (`/usr/bin/python3 -m venv "
               "--system-site-packages VENV`, python3-numpy)")
    elif numpy.startswith("?"):
        what = f"NumPy is installed but broken: {numpy[2:]}"
        fix = "repair NumPy in this environment"
    elif info is not None and (_major(numpy) != _major(info.NUMPY_VERSION) or
                               _version_tuple(numpy) < _version_tuple(info.NUMPY_VERSION)):
        what = f"it was compiled against NumPy {info.NUMPY_VERSION}, and this interpreter has NumPy {numpy}"
        fix = (f"use NumPy {_major(info.NUMPY_VERSION)}.x >= {info.NUMPY_VERSION}, or " + reinstall +
               " so that it is compiled against this NumPy")
    elif "libduckdb" in text:
        what = "libduckdb.so, which it links, cannot be found beside it (a broken or moved installation)"
        fix = reinstall
    else:
        what = f"loading it failed ({text})"
        fix = reinstall
    return (f"proberows cannot load its C++ extension into {here}: {what}. It was built for {built}. "
            f"Fix: {fix}. (The error was: {type(error).__name__}: {text})")


def _version_tuple(version):
    out = []
    for part in version.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def load_extension():
    """The _proberows module, or ImportError explaining why it cannot load."""
    try:
        return importlib.import_module(__package__ + "._proberows")
    except ImportError as e:
        raise ImportError(_explain(e), name=__package__ + "._proberows") from e
