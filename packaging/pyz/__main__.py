"""Entry point of hostcheck.pyz (packaging/build-pyz copies this file to the zip's root).

Python >= 3.9: the full tool (hostcheck.cli). Python 3.6 to 3.8: the standard-library
capture only (hostcheck.__main__._old_python), and a one-line hint on how to judge the
capture elsewhere. So this file must stay importable on Python 3.6: no f-strings with `=`,
no walrus, no annotations that need 3.7+.
"""

import os
import sys

from hostcheck.__main__ import JUDGE_FLOOR, main as module_main


def _invocation():
    """How the user started us, for the hints: `hostcheck` under the OS packages' launcher,
    `python3 PATH.pyz` otherwise."""
    if os.environ.get("HOSTCHECK_LAUNCHER"):
        return "hostcheck"
    return "python3 %s" % (sys.argv[0] or "hostcheck.pyz")


def _old_python(args):
    from hostcheck import __version__
    from hostcheck.__main__ import _old_python as capture_only

    here = "Python %d.%d" % sys.version_info[:2]
    floor = "%d.%d" % JUDGE_FLOOR
    command = args[0] if args and not args[0].startswith("-") else "check"
    if args and args[0] in ("--version", "-V"):
        sys.stdout.write("hostcheck %s (capture only on %s; judging needs Python >= %s)\n"
                         % (__version__, here, floor))
        return 0
    if args and args[0] in ("--help", "-h", "help"):
        sys.stdout.write(
            "hostcheck %s on %s can only capture (judging needs Python >= %s):\n"
            "  %s capture -o capture.json   write the capture document\n"
            "  %s check [-o FILE]           capture, then say how to judge it\n"
            "Judge it on a machine with Python >= %s: hostcheck analyze capture.json\n"
            % (__version__, here, floor, _invocation(), _invocation(), floor))
        return 0
    if command not in ("check", "capture"):
        sys.stderr.write("hostcheck: %s can only capture (judging needs Python >= %s); run `%s capture "
                         "-o capture.json` and judge it elsewhere with `hostcheck analyze capture.json`\n"
                         % (here, floor, _invocation()))
        return 3
    rest = args[1:] if args and args[0] == command else list(args)
    has_output = any(a in ("-o", "--output") for a in rest)
    if command == "check" and not has_output and sys.stdout.isatty():
        # Hundreds of KB of JSON are no use on a terminal, and SPEC allows no file the user
        # did not ask for: say exactly what to run instead.
        sys.stderr.write("hostcheck: %s can capture but not judge (needs Python >= %s): run `%s capture "
                         "-o capture.json` here, then `hostcheck analyze capture.json` on a machine with "
                         "Python >= %s\n" % (here, floor, _invocation(), floor))
        return 3
    return capture_only([command] + rest)


def main():
    if sys.version_info < JUDGE_FLOOR:
        sys.exit(_old_python(sys.argv[1:]))
    module_main()  # `python3 -m hostcheck`: the full CLI


if __name__ == "__main__":
    main()
