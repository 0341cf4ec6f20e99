"""Summarise bench/run's hyperfine results: each command's mean time per container count,
its ratio to `docker info` at that count, and its growth per added container.

    python bench/summarize.py --extra running WORKDIR  (reads results-N.json, engine-N.txt)
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
        total, running = (workdir / "engine-{}.txt".format(count)).read_text().split()[1:]
        engine[count] = (int(total), int(running))
    return results, engine


def table(results, engine):
    counts = sorted(results)
    header = ["command"]
    for count in counts:
        total, running = engine[count]
        header += ["{} containers ({} running): mean ± σ".format(total, running),
                   "× docker info"]
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
                row += ["–", "–"]
                continue
            row.append("{:.1f} ± {:.1f} ms".format(result["mean"] * 1e3, result["stddev"] * 1e3))
            row.append("{:.2f}".format(result["mean"] / base["mean"]) if base else "–")
        if len(counts) > 1:
            first, last = results[counts[0]].get(name), results[counts[-1]].get(name)
            added = engine[counts[-1]][0] - engine[counts[0]][0]
            if first and last and added:
                row.append("{:+.2f} ms".format((last["mean"] - first["mean"]) * 1e3 / added))
            else:
                row.append("–")
        lines.append("| " + " | ".join(row) + " |")
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
    print(table(results, engine))

if __name__ == "__main__":
    main()
