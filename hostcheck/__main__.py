"""`python3 -m hostcheck`: the full tool on Python >= 3.9, the capture alone below that.

This file must stay importable on Python 3.6 (CentOS 7) and 3.7 (Kylin V10, UOS 20).
"""

import sys

JUDGE_FLOOR = (3, 9)


def _old_python(argv):
    """Capture here, and say in one line how to judge the capture elsewhere."""
    from hostcheck.capture.__main__ import main as capture_main

    args = list(argv)
    command = args.pop(0) if args and not args[0].startswith("-") else "check"
    here = "Python %d.%d" % sys.version_info[:2]
    if command not in ("check", "capture"):
        sys.stderr.write("hostcheck: %s can only capture (judging needs Python >= %d.%d); "
                         "run `python3 -m hostcheck capture -o capture.json` and judge it elsewhere "
                         "with `hostcheck analyze capture.json`\n" % ((here,) + JUDGE_FLOOR))
        return 3
    # Keep only the options the stdlib capture understands.
    keep, i = [], 0
    while i < len(args):
        if args[i] in ("-o", "--output", "--timeout", "--image") and i + 1 < len(args):
            keep += args[i:i + 2]
            i += 2
            continue
        if args[i] == "--redact":
            keep.append(args[i])
        i += 1
    if command == "check" and "-o" not in keep and "--output" not in keep and sys.stdout.isatty():
        # Hundreds of KB of JSON are no use on a terminal, and no file may appear that the
        # user did not ask for: name the command instead.
        sys.stderr.write("hostcheck: %s can capture but not judge (needs Python >= %d.%d): run "
                         "`python3 -m hostcheck capture -o capture.json` here, then `hostcheck analyze "
                         "capture.json` on a machine with Python >= %d.%d\n" % ((here,) + JUDGE_FLOOR + JUDGE_FLOOR))
        return 3
    rc = capture_main(keep)
    if command == "check" and rc == 0:
        out = keep[keep.index("-o") + 1] if "-o" in keep else (
            keep[keep.index("--output") + 1] if "--output" in keep else None)
        where = out if out and out != "-" else "the capture printed above"
        sys.stderr.write("hostcheck: %s can capture but not judge (needs Python >= %d.%d): copy %s to a "
                         "machine with Python >= %d.%d and run `hostcheck analyze FILE`\n"
                         % ((here,) + JUDGE_FLOOR + (where,) + JUDGE_FLOOR))
        return 3
    return rc


def main():
    """The `hostcheck` console script and `python3 -m hostcheck`."""
    if sys.version_info < JUDGE_FLOOR:
        sys.exit(_old_python(sys.argv[1:]))
    if sys.argv[1:] in (["--version"], ["-V"]):
        # Playbooks ask this first: answer without importing click (~20 ms).
        from hostcheck import __version__
        sys.stdout.write("hostcheck %s\n" % __version__)
        return
    from hostcheck.cli import main as cli_main
    cli_main()


if __name__ == "__main__":
    main()
