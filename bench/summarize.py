"""Summarise bench/run's hyperfine results: each command's mean time per container count,
its CPU time (user + system: what a busy machine does not inflate), its ratio to
`docker info` at that count, and its growth per added container; the report's size;
`hostcheck fleet` over N real reports.

    python bench/summarize.py --extra running WORKDIR
    (reads results-N.json, engine-N.txt, size-N.txt, fleet-N.json, fleetsize-N.txt)
"""

import argparse
import json
import os
import platform
import subprocess
from pathlib import Path

BASELINE = "docker info"


def load(workdir):
    """{count: {command name: hyperfine result}}, {count: (total, running)}"""
    results, engine = {}, {}
    for path in sorted(workdir.glob("results-*.json")):
        count = int(path.stem.split("-")[1])
        results[count] = {r["command"]: r for r in json.loads(path.read_text())["results"]}
        fields = (workdir / "engine-{}.txt".format(count)).read_text().split()
        engine[count] = (int(fields[1]), int(fields[2]))
    return results, engine


def loads(workdir):
    """The 1-minute load averages recorded after each step (a busy machine stretches wall times)."""
    values = []
    for path in sorted(workdir.glob("engine-*.txt")) + sorted(workdir.glob("fleetsize-*.txt")):
        fields = path.read_text().split()
        if len(fields) >= 4 or (path.name.startswith("fleetsize") and len(fields) >= 3):
            values.append(float(fields[-1]))
    return values


def cpu_ms(result):
    return (result.get("user", 0) + result.get("system", 0)) * 1e3


def table(results, engine):
    counts = sorted(results)
    header = ["command"]
    for count in counts:
        total, running = engine[count]
        header += ["{} containers ({} running): mean ± σ".format(total, running),
                   "CPU", "× docker info (CPU)"]
    if len(counts) > 1:
        header.append("growth per container ({}→{})".format(engine[counts[0]][0],
                                                            engine[counts[-1]][0]))
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    names = list(results[counts[0]])
    for name in names:
        row = [name]
        for count in counts:
            result = results[count].get(name)
            base = results[count].get(BASELINE)
            if result is None:
                row += ["–", "–", "–"]
                continue
            row.append("{:.1f} ± {:.1f} ms".format(result["mean"] * 1e3, result["stddev"] * 1e3))
            row.append("{:.1f} ms".format(cpu_ms(result)))
            row.append("{:.2f} ({:.2f})".format(result["mean"] / base["mean"], cpu_ms(result) / cpu_ms(base))
                       if base else "–")
        if len(counts) > 1:
            first, last = results[counts[0]].get(name), results[counts[-1]].get(name)
            added = engine[counts[-1]][0] - engine[counts[0]][0]
            if first and last and added:
                row.append("{:+.2f} ms ({:+.2f} ms CPU)".format(
                    (last["mean"] - first["mean"]) * 1e3 / added, (cpu_ms(last) - cpu_ms(first)) / added))
            else:
                row.append("–")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def sizes(workdir, engine):
    """One row: the compact `check --json -o` report and the capture, per container count."""
    cells = []
    for count in sorted(engine):
        path = workdir / "size-{}.txt".format(count)
        if path.exists():
            report, capture = (int(x) for x in path.read_text().split())
            cells.append("{} containers: report {:.0f} KB, capture {:.0f} KB".format(
                engine[count][0], report / 1024, capture / 1024))
    return "; ".join(cells)


def fleet(workdir):
    lines = []
    for path in sorted(workdir.glob("fleetbench-*.json"), key=lambda p: int(p.stem.split("-")[1])):
        size = int(path.stem.split("-")[1])
        info = (workdir / "fleetsize-{}.txt".format(size)).read_text().split()
        if not lines:
            lines = ["| command | reports | on disk | wall: mean ± σ (min) | CPU (user + system, all processes) |",
                     "|---|---|---|---|---|"]
        for result in json.loads(path.read_text())["results"]:
            lines.append("| {} | {:,} | {:.0f} MB | {:.2f} ± {:.2f} s ({:.2f} s) | {:.2f} s |".format(
                result["command"].split(" (")[0], size, int(info[1]) / 1024, result["mean"],
                result["stddev"] or 0.0, result["min"], cpu_ms(result) / 1e3))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--extra", default="running")
    parser.add_argument("--runs", default="?")
    parser.add_argument("workdir", type=Path)
    args = parser.parse_args()
    results, engine = load(args.workdir)

    def output(*argv):
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip() or "?"

    docker = output("docker", "version", "--format", "{{.Server.Version}}")
    commit = output("git", "rev-parse", "--short", "HEAD")
    containers = ("all running" if args.extra == "running"
                  else "the first 5 running, the others created, not started")
    print("# hostcheck benchmark\n")
    print("Measured by `bench/run` at commit {} with hyperfine ({} runs after 2 warm-ups, "
          "mean ± σ), on {} ({} cores), dockerd {}. Busybox `sleep` containers, "
          "`--network none`, {}.\n".format(commit, args.runs, platform.platform(terse=True),
                                          os.cpu_count(), docker, containers))
    try:
        import orjson
        parser_name = "orjson {} (the fleet extra)".format(orjson.__version__)
    except ImportError:
        parser_name = "the json module (no orjson)"
    load_averages = loads(args.workdir)
    if load_averages:
        print("1-minute load average while measuring: {:.1f} to {:.1f} (other test runs share the "
              "machine: wall times stretch, CPU times do not).\n".format(min(load_averages), max(load_averages)))
    print(table(results, engine))
    print("\nReport size (`check --json -o`, compact) and capture size: {}.".format(sizes(args.workdir, engine)))
    fleet_table = fleet(args.workdir)
    if fleet_table:
        print("\n`hostcheck fleet` over real reports (bench/fleet_reports.py: stored real captures and "
              "this machine's, varied and judged, 20 directories), files in the page cache, "
              "reports parsed with {}:\n".format(parser_name))
        print(fleet_table)

if __name__ == "__main__":
    main()
