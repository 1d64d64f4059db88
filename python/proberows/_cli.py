"""The `proberows` console script of a pip-installed package: runs the
command-line binary bundled in the package (proberows/bin/proberows)."""

import os
import sys


def binary():
    """The path of the bundled `proberows` binary (a pip-installed package only)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "proberows")


def main():
    path = binary()
    if not os.path.exists(path):
        sys.stderr.write(
            f"proberows: error: no bundled binary at {path}: this copy of the package was not installed by pip "
            "(cmake --install puts the binary in PREFIX/bin)\n")
        return 1
    os.execv(path, [path] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
