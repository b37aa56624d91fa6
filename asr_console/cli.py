"""The ``asr-console`` command line: the TUI by default, headless commands beside it.

Each command lives in ``asr_console/commands/<name>.py`` with ``add_parser(subparsers)`` and
``run(args, settings) -> int``. Flags shared by several commands (profile, Azure connection, vCenter
connection, simulated site) come from parent parsers here so every command spells them the same way.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import io
import logging
import logging.handlers
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from asr_console import __version__
from asr_console.commands.argtypes import bounded_float, non_negative_int, positive_int
from asr_console.config import AUTH_METHODS, ConfigError, Settings, log_dir, resolve
from asr_console.model.redact import MaskingFilter

PROG = "asr-console"

# Exit codes: 0 ok, 2 usage or configuration error, 3 back end unreachable / unknown (monitoring-plugin
# style for status).
EXIT_USAGE = 2

# command name → module under asr_console.commands
COMMANDS: dict[str, str] = {
    "demo": "demo",
    "status": "status",
    "jobs": "jobs",
    "inventory": "inventory",
    "capacity": "capacity",
    "doctor": "doctor",
    "simulate": "simulate",
    "config": "config_cmd",
    "enable": "enable",
    "prepare-azure": "prepare",
    # the scriptable writes share one module (commands/writes.py), which adds them all
    **dict.fromkeys(
        (
            "test-failover",
            "cleanup",
            "failover",
            "change-recovery-point",
            "commit",
            "reprotect",
            "failback",
            "resync",
            "update-agent",
            "disable",
        ),
        "writes",
    ),
}
COMMAND_HELP: dict[str, str] = {
    "demo": "open the console on the embedded simulated site (no Azure, no vCenter needed)",
    "status": "replication health of a vault; exit 0 normal, 1 warning, 2 critical, 3 unknown",
    "jobs": "recent ASR jobs of a vault",
    "inventory": "print a vCenter's inventory with Azure compatibility, or --watch it",
    "capacity": "bandwidth, initial replication time and process servers from measured churn",
    "doctor": "check the vault, the appliance, vCenter and capacity; say how to fix what is not ready",
    "simulate": "serve the simulated ASR site over HTTPS on loopback",
    "config": "show resolved settings (secrets masked); 'config path' prints the file's path",
}
# which shared flag groups each command takes
PARENTS: dict[str, tuple[str, ...]] = {
    "tui": ("azure", "vcenter"),
    "demo": ("sim", "vcenter"),
    "status": ("azure", "deadline"),
    "jobs": ("azure", "deadline"),
    "inventory": ("vcenter", "deadline"),
    "capacity": ("vcenter", "azure", "sim", "deadline"),
    "doctor": ("vcenter", "azure", "sim", "deadline"),
    "simulate": ("sim", "vcenter", "deadline"),
    "config": ("azure", "vcenter"),
    **{
        name: ("azure", "deadline")
        for name, module in COMMANDS.items()
        if module in ("writes", "enable", "prepare")
    },
}
SETTINGS_FLAGS = (
    "subscription",
    "resource_group",
    "vault",
    "arm_endpoint",
    "ca_bundle",
    "auth",
    "tenant",
    "vcenter_url",
    "vcenter_user",
    "insecure",
    "read_only",
    "theme",
    "timeout",
    "wait_timeout",
)


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def _profile_flags(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--profile", "-p", default=default, help="named profile from the config file")
    parser.add_argument(
        "--read-only",
        dest="read_only",
        action="store_const",
        const=True,
        default=default,
        help="refuse every write action",
    )
    parser.add_argument(
        "--theme", default=default, help="dark, light, high-contrast, monochrome or a user theme"
    )
    parser.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS if suppress else 0)


def _parents() -> dict[str, argparse.ArgumentParser]:
    common = Parser(add_help=False)
    _profile_flags(common, suppress=True)

    azure = Parser(add_help=False)
    group = azure.add_argument_group("Azure connection")
    group.add_argument("--subscription", help="subscription id (env ASR_CONSOLE_SUBSCRIPTION)")
    group.add_argument("--resource-group", dest="resource_group", help="resource group of the vault")
    group.add_argument("--vault", help="Recovery Services vault name")
    group.add_argument(
        "--arm-endpoint", dest="arm_endpoint", help="ARM endpoint (sovereign clouds, simulator)"
    )
    group.add_argument("--ca-bundle", dest="ca_bundle", help="PEM bundle to trust (TLS-intercepting proxies)")
    group.add_argument("--auth", choices=AUTH_METHODS, help="how to sign in (default: default)")
    group.add_argument("--tenant", help="Azure AD tenant id")

    vcenter = Parser(add_help=False)
    group = vcenter.add_argument_group("vCenter connection")
    group.add_argument(
        "--vcenter", dest="vcenter_url", help="vCenter URL, e.g. https://vc01/sdk (env GOVC_URL)"
    )
    group.add_argument("--user", dest="vcenter_user", help="vCenter user (env GOVC_USERNAME)")
    group.add_argument(
        "--insecure",
        action="store_const",
        const=True,
        default=None,
        help="accept a self-signed vCenter certificate (env GOVC_INSECURE=1)",
    )

    sim = Parser(add_help=False)
    group = sim.add_argument_group("simulated site")
    group.add_argument("--vms", type=positive_int, default=200, help="VMs in the estate (default 200)")
    group.add_argument("--protected", type=non_negative_int, default=60, help="protected items (default 60)")
    group.add_argument("--seed", type=int, default=7, help="random seed; same seed, same site (default 7)")
    group.add_argument(
        "--speed",
        type=bounded_float(0, 10_000, low_open=True),
        default=30.0,
        help="clock speed-up, up to 10000 (default 30)",
    )
    group.add_argument(
        "--provider",
        choices=("inmagercm", "inmageazurev2", "mixed"),
        default="mixed",
        help="modernized (InMageRcm), classic (InMageAzureV2) or both (default)",
    )
    deadline = Parser(add_help=False)
    deadline.add_argument(
        "--timeout",
        type=bounded_float(1, 3600),
        help="give up after this many seconds in all (default 60; profile key timeout)",
    )
    return {"common": common, "azure": azure, "vcenter": vcenter, "sim": sim, "deadline": deadline}


class _Subparsers:
    """Hands command modules a subparsers object that adds the shared flag groups by command name."""

    def __init__(self, action: Any) -> None:
        self._action = action

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        # Fresh parent parsers for each command: a command that redefines a shared flag (simulate's
        # --speed) changes the flag's action in place, which would turn another command's flag into a
        # positional argument if the parents were shared.
        parents = _parents()
        shared = [parents["common"], *(parents[p] for p in PARENTS.get(name, ()))]
        kwargs["parents"] = [*shared, *kwargs.get("parents", [])]
        kwargs.setdefault("help", COMMAND_HELP.get(name))
        kwargs.setdefault("description", COMMAND_HELP.get(name))
        # A command may redefine a shared flag with its own help; the later definition wins.
        kwargs.setdefault("conflict_handler", "resolve")
        parser: argparse.ArgumentParser = self._action.add_parser(name, **kwargs)
        return parser


class _NotUnderstood(Exception):
    pass


class _Probe(Parser):
    """A parser that says which command a command line names, or raises: it knows the shared flags
    (so a flag's value is never taken for the command) and the commands' names, not their flags."""

    def error(self, message: str) -> NoReturn:
        raise _NotUnderstood(message)


def command_named(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, when that alone decides what it means; None for help, version, the
    console, or anything the probe cannot read (the full parser then says what is wrong)."""
    if any(arg in ("-h", "--help", "--version") for arg in argv):
        return None
    parents = _parents()
    probe = _Probe(prog=PROG, add_help=False, parents=[parents["azure"], parents["vcenter"]])
    _profile_flags(probe, suppress=False)
    action = probe.add_subparsers(dest="command", parser_class=_Probe)
    for name in COMMANDS:
        action.add_parser(name, add_help=False)
    try:
        args, _ = probe.parse_known_args(argv)
    except _NotUnderstood:
        return None
    command: str | None = args.command
    return command


def build_parser(command: str | None = None) -> Parser:
    """The whole command line, or with ``command`` only that command's module (and the modules it
    shares): a one-shot ``status`` does not import the writes, the doctor or the console's session."""
    parents = _parents()
    parser = Parser(
        prog=PROG,
        description="Terminal console for Azure Site Recovery: VMware VMs replicating to Azure. "
        "Without a command it opens the console on the configured vault and vCenter.",
        parents=[parents["azure"], parents["vcenter"]],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _profile_flags(parser, suppress=False)
    action = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers = _Subparsers(action)
    modules = dict.fromkeys(COMMANDS.values()) if command is None else [COMMANDS[command]]
    for module_name in modules:
        importlib.import_module(f"asr_console.commands.{module_name}").add_parser(subparsers)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    flags = {name: getattr(args, name, None) for name in SETTINGS_FLAGS}
    return resolve(flags=flags, profile=getattr(args, "profile", None))


# Commands that draw the console on the terminal: while they run, nothing else may write to it.
TUI_COMMANDS = frozenset({None, "demo"})
CONSOLE_LOG = "console.log"
LOG_MAX_BYTES = 1024 * 1024
LOG_BACKUPS = 3


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotated log file only its owner can read (0600), the current one and each new one after a
    rotation: log lines may name hosts, users and vaults."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        # a file left by an older version (or another umask) keeps its mode across open(O_CREAT)
        os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def console_log_path() -> Path:
    return log_dir() / CONSOLE_LOG


def _log_handler(to_file: Path | None) -> logging.Handler:
    if to_file is None:
        return logging.StreamHandler(sys.stderr)
    to_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return PrivateRotatingFileHandler(
        to_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
    )


def _configure_logging(verbosity: int, to_file: Path | None = None) -> None:
    """Log to stderr, or with ``to_file`` only to that file (the console owns the terminal: a line on
    stderr would land over its status bar)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    try:
        handler = _log_handler(to_file)
    except OSError as exc:
        # no log file is no reason to refuse the console; its lines are dropped instead of drawn over it
        print(f"{PROG}: cannot write the log file {to_file}: {exc}", file=sys.stderr)
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    for each in logging.getLogger().handlers:
        each.addFilter(MaskingFilter())
    if to_file is not None:
        # Python's own warnings (an unclosed connection at exit) go to stderr unless routed to logging.
        logging.captureWarnings(True)
    if verbosity < 2:
        # azure-core logs every request at INFO; that is noise unless asked for.
        logging.getLogger("azure").setLevel(logging.WARNING)
        # azure-identity explains every credential it tried in a dozen WARNING lines; the command
        # already says in one line that authentication failed, and -vv brings the details back.
        logging.getLogger("azure.identity").setLevel(logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_named(argv))
    args = parser.parse_args(argv)
    tui = getattr(args, "command", None) in TUI_COMMANDS
    if not tui:
        # A one-shot command's process ends with it: at exit the collector's last passes would walk
        # every record and module object it holds (0.07 s after a 5,000-item status) to free what the
        # process's end frees anyway. Frozen objects are left out of them.
        atexit.unregister(gc.freeze)
        atexit.register(gc.freeze)
    _configure_logging(getattr(args, "verbose", 0) or 0, console_log_path() if tui else None)
    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        print(f"{PROG}: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    func: Callable[[argparse.Namespace, Settings], int] | None = getattr(args, "func", None)
    try:
        if func is None:
            from asr_console.commands.console import run_console

            code: int = run_console(args, settings)
            return code
        return func(args, settings)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `asr-console jobs | head`: the reader left; say nothing more, like any Unix filter.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
