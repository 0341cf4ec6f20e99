"""python -m hostcheck.capture -o FILE [-H URL] [--timeout S] [--redact] [--image REF]...: write the capture document."""

import argparse
import json
import sys

import hostcheck.capture as capture


def positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number of seconds: %r" % text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds: %r" % text)
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m hostcheck.capture",
        description="Capture this host read-only into a hostcheck.capture/v1 JSON document.")
    parser.add_argument("-o", "--output", default="-", metavar="FILE",
                        help="where to write the document (`-` for stdout, the default)")
    parser.add_argument("--timeout", type=positive_seconds, default=5.0, metavar="SECONDS",
                        help="bound each probe (default 5); the whole capture has a deadline of a few times this")
    parser.add_argument("--redact", action="store_true",
                        help="pseudonymise hostnames, IP and MAC addresses (consistently within the document)")
    parser.add_argument("-H", "--host", metavar="URL",
                        help="the Docker engine to read (unix:///PATH, tcp://HOST:PORT, ssh://[USER@]HOST); "
                             "default as the docker CLI: DOCKER_HOST, DOCKER_CONTEXT, the CLI's current context, "
                             "$XDG_RUNTIME_DIR/docker.sock, /var/run/docker.sock")
    parser.add_argument("--image", action="append", default=[], metavar="REF",
                        help="also ask REF's registry, through the engine, which platforms it offers "
                             "(for `hostcheck image --capture FILE REF` elsewhere); repeatable")
    args = parser.parse_args(argv)

    try:
        extra = {"registry_refs": args.image} if args.image else {}
        if args.host:
            extra["host"] = args.host
        doc = capture.take(timeout=args.timeout, redact=args.redact, **extra)
        text = json.dumps(doc, ensure_ascii=False, sort_keys=False) + "\n"
        if args.output == "-":
            # Bytes: Python 3.6 in the C locale has an ASCII stdout, and a capture may hold
            # non-ASCII text (os-release of UOS or Kylin, container names).
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode("utf-8"))
            sys.stdout.buffer.flush()
        else:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
    except KeyboardInterrupt:
        sys.stderr.write("hostcheck capture: interrupted\n")
        return 130
    except OSError as exc:
        sys.stderr.write("hostcheck capture: cannot write %s: %s\n" % (args.output, exc.strerror or exc))
        return 3
    except Exception as exc:  # one line, never a traceback
        sys.stderr.write("hostcheck capture: internal error: %s: %s\n" % (exc.__class__.__name__, exc))
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
