"""`hostcheck completion bash|zsh|fish`: the scripts, sourced in the real shells, complete
the top level, subcommands, options and choices by asking the installed `hostcheck`.

bash: COMP_WORDS/COMP_CWORD set as bash sets them, then the registered function is called.
fish: `complete -C "hostcheck "` (fish's own completion query, no terminal needed).
zsh: compsys needs a terminal, so compadd/_describe/compdef are stand-ins that print what
the script hands them; the script itself and the `hostcheck` it runs are the real ones.
"""

import os
import shutil
import subprocess
import sys

import pytest

# The venv's console script `hostcheck`, which the scripts call back on each TAB.
BIN = os.path.dirname(sys.executable)
COMMANDS = ["analyze", "capture", "check", "completion", "fleet", "image", "net", "preflight", "rules", "schema"]


def hostcheck(*args):
    return subprocess.run([os.path.join(BIN, "hostcheck")] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


def shell_env():
    return {"PATH": BIN + ":/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LC_ALL": "C.UTF-8"}


def script(shell, tmp_path):
    result = hostcheck("completion", shell)
    assert result.returncode == 0, result.stderr
    path = tmp_path / ("hostcheck." + shell)
    path.write_text(result.stdout)
    return path


BASH_DRIVER = r'''
source "$1"; shift
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_hostcheck_completion hostcheck
printf '%s\n' "${COMPREPLY[@]}"
'''


def bash_complete(path, *words):
    """What bash offers after `hostcheck WORDS...` (the last word is the one being completed)."""
    result = subprocess.run(["bash", "--norc", "-c", BASH_DRIVER, "bash", str(path), "hostcheck"] + list(words),
                            env=shell_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_the_top_level(tmp_path):
    path = script("bash", tmp_path)
    assert path.read_text().startswith("_hostcheck_completion() {")
    assert bash_complete(path, "") == COMMANDS
    assert bash_complete(path, "c") == ["capture", "check", "completion"]


def test_bash_completes_subcommands_options_and_choices(tmp_path):
    path = script("bash", tmp_path)
    assert bash_complete(path, "rules", "") == ["list", "show"]
    assert bash_complete(path, "net", "") == ["egress", "port", "reach"]
    assert bash_complete(path, "check", "--fail") == ["--fail-on"]
    assert bash_complete(path, "check", "--fail-on", "") == ["info", "warn", "fail"]
    assert bash_complete(path, "completion", "") == ["bash", "zsh", "fish"]
    assert bash_complete(path, "schema", "") == ["capture", "report", "fleet"]
    assert "--version" in bash_complete(path, "--")


def test_bash_registers_the_function_for_hostcheck(tmp_path):
    path = script("bash", tmp_path)
    result = subprocess.run(["bash", "--norc", "-c", 'source "$1"; complete -p hostcheck', "bash", str(path)],
                            env=shell_env(), stdout=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert "-F _hostcheck_completion hostcheck" in result.stdout


def test_fish_completes_the_top_level_with_descriptions(tmp_path):
    if not shutil.which("fish"):
        pytest.skip("fish is not installed (tests/lib.sh installs it)")
    path = script("fish", tmp_path)

    def complete(line):
        result = subprocess.run(["fish", "--no-config", "-c", 'source $argv[1]; complete -C $argv[2]', str(path), line],
                                env=shell_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return dict(line.split("\t", 1) if "\t" in line else (line, "") for line in result.stdout.splitlines())

    top = complete("hostcheck ")
    assert sorted(top) == COMMANDS
    assert top["rules"] == "The rule catalogue."
    assert sorted(complete("hostcheck rules ")) == ["list", "show"]
    assert "--fail-on" in complete("hostcheck analyze --f")


ZSH_DRIVER = r'''
# compsys stand-ins: they print what the script would hand to zsh's completion system.
compdef() { print -r -- "compdef $*" }
compadd() { local -a words; words=("${(@P)${@[-1]}}"); print -rl -- "${words[@]}" }
_describe() { local -a pairs; pairs=("${(@P)3}"); print -rl -- "${pairs[@]%%:*}" }
source "$1"; shift
words=(hostcheck "$@")
CURRENT=${#words}
_hostcheck_completion
'''


def test_zsh_script_hands_the_top_level_to_compsys(tmp_path):
    if not shutil.which("zsh"):
        pytest.skip("zsh is not installed (tests/lib.sh installs it)")
    path = script("zsh", tmp_path)
    assert path.read_text().startswith("#compdef hostcheck\n")

    def complete(*words):
        result = subprocess.run(["zsh", "-f", "-c", ZSH_DRIVER, "zsh", str(path)] + list(words), env=shell_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    registered, *top = complete("")
    assert registered == "compdef _hostcheck_completion hostcheck"
    assert top == COMMANDS
    assert complete("rules", "")[1:] == ["list", "show"]


def test_unknown_shell_is_a_usage_error():
    result = hostcheck("completion", "tcsh")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.stderr.replace('"', "'")


def test_help_lists_the_command():
    # `hostcheck` alone still means `hostcheck check` (tests/test_cli.py); completion is a command beside it.
    result = hostcheck("--help")
    assert result.returncode == 0
    assert "completion" in result.stdout.split("Commands:")[1]
