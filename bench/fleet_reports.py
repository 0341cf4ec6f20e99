"""Make COUNT real host reports for `hostcheck fleet` benchmarks (no data is committed).

    python bench/fleet_reports.py OUT_DIR COUNT [--capture FILE]... [--variants N] [--pretty-share F]

Every report is what `hostcheck analyze CAPTURE --json -o HOST.json` writes for a real
capture with realistic variation: the bases are the stored captures of real systems
(tests/data/systems/*.json, tests/data/captures/*.json) and any --capture FILE (bench/run
and bench/fleet.sh pass a fresh capture of this machine). Each of N variants changes a
base the way hosts of one fleet differ — ip_forward or bridge-nf-call-iptables off,
daemon.json log limits set or absent, a full Docker disk, a world-writable socket, user
namespaces off, some containers gone, a report in Chinese — and is judged by this
checkout's own build_report. The COUNT hosts then take the variants in turn, each under
its own host name and times: the host name goes into the capture before judging (as a
token replaced in the report text, so a variant is judged once, not once per host).

Files go to OUT_DIR/group-NN/HOST.json (20 directories, as an Ansible fetch per group
leaves them), compact like `check --json -o`; --pretty-share writes that share indented,
as older hostcheck versions and hand-run `--pretty` reports are.
"""

import argparse
import copy
import datetime
import glob
import json
import os
import random
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from hostcheck.report import build_report  # noqa: E402

TOKEN = "hcbenchhosttoken0"
DOMAINS = ("prod.example.cn", "dc2.example.cn", "edge.example.com", "lab.example.org")
ROLES = ("web", "app", "db", "cache", "batch", "gw", "k8s-node", "build", "mq", "log")


def base_captures(extra):
    paths = sorted(p for p in glob.glob(os.path.join(REPO, "tests", "data", "systems", "*.json"))
                   if not p.endswith(".expect.json"))
    paths += sorted(glob.glob(os.path.join(REPO, "tests", "data", "captures", "*.json")))
    paths += list(extra)
    bases = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
        if doc.get("format") == "hostcheck.capture/v1":
            bases.append((os.path.basename(path), doc))
    return bases


def _set_file(capture, path, content):
    capture.setdefault("files", {})[path] = {"content": content}


def vary(capture, rng):
    """The capture of another host of the same build: a few settings differ (in place)."""
    files = capture.setdefault("files", {})
    if rng.random() < 0.10:
        _set_file(capture, "/proc/sys/net/ipv4/ip_forward", "0\n")
    if rng.random() < 0.08 and "content" in files.get("/proc/sys/net/bridge/bridge-nf-call-iptables", {}):
        _set_file(capture, "/proc/sys/net/bridge/bridge-nf-call-iptables", "0\n")
    if rng.random() < 0.05:
        _set_file(capture, "/proc/sys/user/max_user_namespaces", "0\n")
    roll = rng.random()
    if roll < 0.30:
        _set_file(capture, "/etc/docker/daemon.json", json.dumps(
            {"log-driver": "json-file", "log-opts": {"max-size": rng.choice(("10m", "50m", "100m")), "max-file": "3"}},
            indent=2) + "\n")
    elif roll < 0.40:
        files["/etc/docker/daemon.json"] = {"error": "not_found"}
    for stats in (capture.get("statvfs") or {}).values():
        if isinstance(stats, dict) and stats.get("total_bytes") and rng.random() < 0.06:
            stats["free_bytes"] = int(stats["total_bytes"] * rng.uniform(0.01, 0.09))
    socket = (capture.get("stat") or {}).get("/var/run/docker.sock")
    if isinstance(socket, dict) and "mode" in socket and rng.random() < 0.03:
        socket["mode"] = "0666"
    responses = (capture.get("docker") or {}).get("responses") or {}
    listed = responses.get("/containers/json?all=1")
    if isinstance(listed, list) and listed and rng.random() < 0.5:
        gone = [c for c in listed if rng.random() < 0.4]
        responses["/containers/json?all=1"] = [c for c in listed if c not in gone]
        for container in gone:
            responses.pop("/containers/%s/json" % container.get("Id"), None)
    capture.setdefault("uname", {})["nodename"] = TOKEN
    return capture


def judged_variants(bases, count, seed):
    variants = []
    for index in range(count):
        name, base = bases[index % len(bases)]
        rng = random.Random("%s-%d" % (seed, index))
        capture = vary(copy.deepcopy(base), rng)
        lang = "zh" if rng.random() < 0.1 else "en"
        report, _ = build_report(capture, lang=lang)
        variants.append((name, report))
    return variants


def host_name(index, rng):
    return "%s-%02d-%05d.%s" % (rng.choice(ROLES), rng.randrange(1, 40), index, rng.choice(DOMAINS))


def write_reports(out_dir, count, variants, pretty_share, seed):
    start = datetime.datetime(2026, 12, 1, 8, 0, 0)
    texts = {}
    for index in range(count):
        rng = random.Random("%s-host-%d" % (seed, index))
        name, report = variants[index % len(variants)]
        pretty = rng.random() < pretty_share
        key = (index % len(variants), pretty)
        if key not in texts:
            report = dict(report, generated_at="GENERATEDAT", captured_at="CAPTUREDAT")
            texts[key] = (json.dumps(report, ensure_ascii=False, indent=2) if pretty else
                          json.dumps(report, ensure_ascii=False, separators=(",", ":"))) + "\n"
        captured = start + datetime.timedelta(seconds=rng.randrange(0, 5 * 86400))
        generated = captured + datetime.timedelta(seconds=rng.randrange(1, 30))
        host = host_name(index, rng)
        text = (texts[key].replace(TOKEN, host)
                .replace('"GENERATEDAT"', '"%s"' % generated.strftime("%Y-%m-%dT%H:%M:%SZ"))
                .replace('"CAPTUREDAT"', '"%s"' % captured.strftime("%Y-%m-%dT%H:%M:%SZ")))
        folder = os.path.join(out_dir, "group-%02d" % (index % 20))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, host + ".json"), "w", encoding="utf-8") as handle:
            handle.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("count", type=int)
    parser.add_argument("--capture", action="append", default=[], help="another real capture to vary (repeatable)")
    parser.add_argument("--variants", type=int, default=300, help="distinct judged variants (default 300)")
    parser.add_argument("--pretty-share", type=float, default=0.0, help="share of reports written indented")
    parser.add_argument("--seed", default="hostcheck-fleet-bench")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    bases = base_captures(args.capture)
    variants = judged_variants(bases, min(args.variants, args.count), args.seed)
    judged = time.perf_counter()
    write_reports(args.out_dir, args.count, variants, args.pretty_share, args.seed)
    sizes = [len(json.dumps(report, ensure_ascii=False, separators=(",", ":"))) for _, report in variants]
    sys.stderr.write("%d reports from %d bases in %d judged variants (%.0f-%.0f KB, mean %.0f KB): "
                     "judged in %.1f s, written in %.1f s\n"
                     % (args.count, len(bases), len(variants), min(sizes) / 1024, max(sizes) / 1024,
                        sum(sizes) / len(sizes) / 1024, judged - started, time.perf_counter() - judged))


if __name__ == "__main__":
    main()
