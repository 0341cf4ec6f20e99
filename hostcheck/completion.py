"""`hostcheck completion bash|zsh|fish`: the shell completion script, as click writes it.

The script only registers a function with the shell; each TAB runs `hostcheck` again with
`_HOSTCHECK_COMPLETE=<shell>_complete` and the words typed so far, and click answers from
the same command tree `--help` is made from (lazily loaded commands included). So one
script stays right as commands and options change, and the packages install these scripts
as generated at build time (packaging/build-rpm, build-deb).

    source <(hostcheck completion bash)                        # this shell
    hostcheck completion bash > ~/.local/share/bash-completion/completions/hostcheck
    hostcheck completion zsh > "${fpath[1]}/_hostcheck"        # a directory on $fpath
    hostcheck completion fish > ~/.config/fish/completions/hostcheck.fish
"""

import click

SHELLS = ("bash", "zsh", "fish")
PROG_NAME = "hostcheck"
# click's own name for it (`_{PROG}_COMPLETE`): the scripts set it, cli.main() answers it.
COMPLETE_VAR = "_HOSTCHECK_COMPLETE"


def completion_script(shell):
    """The script for `shell`, ending in a newline."""
    from click.shell_completion import get_completion_class

    from hostcheck.cli import cli

    complete = get_completion_class(shell)(cli, {}, PROG_NAME, COMPLETE_VAR)
    return complete.source().rstrip("\n") + "\n"


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell):
    """Print the shell completion script for bash, zsh or fish.

    \b
    bash:  source <(hostcheck completion bash)
    zsh:   hostcheck completion zsh > "${fpath[1]}/_hostcheck"
    fish:  hostcheck completion fish > ~/.config/fish/completions/hostcheck.fish
    """
    click.echo(completion_script(shell), nl=False)
