"""Typed settings from TOML profiles, environment variables and flags.

Precedence: flags > environment > profile > defaults. The profile is ``--profile``, else
``ASR_CONSOLE_PROFILE``, else ``[defaults] profile``, else ``[profiles.default]`` when there is one.
The file lives in platformdirs' user config dir
(``ASR_CONSOLE_CONFIG`` overrides the path). Secrets never come from the file: passwords and tokens are
read from environment variables or the OS keyring at the moment they are needed, and nothing here
writes them anywhere.

    [defaults]
    profile = "prod"

    [profiles.prod]
    subscription = "00000000-0000-0000-0000-000000000000"
    resource_group = "rg-dr"
    vault = "vault-dr"
    vcenter_url = "https://vc01.corp.example/sdk"
    vcenter_user = "svc-asr@vsphere.local"
    read_only = true
    utc = false
    environment = "PROD"
    environment_color = "red"

    [profiles.prod.intervals]
    items = 30

    [profiles.prod.network_map."VM Network"]
    network = "vnet-dr"          # name or ARM id of the Azure virtual network
    subnet = "app"
    test_network = "vnet-dr-test"
    test_subnet = "app"
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from asr_console.model.intervals import CEILING, CEILINGS, FLOORS, Intervals
from asr_console.model.redact import mask_url

if TYPE_CHECKING:
    from asr_console.model.network_plan import NetworkMapping

APP_NAME = "asr-console"
PUBLIC_CLOUD_ARM = "https://management.azure.com"
# the profile used when none is chosen by --profile, ASR_CONSOLE_PROFILE or [defaults] profile
DEFAULT_PROFILE = "default"
AUTH_METHODS = ("default", "device-code", "cli", "service-principal", "token")


class ConfigError(ValueError):
    """A problem in the config file, naming the file, the key (and line when known) and the reason."""

    def __init__(self, path: Path | str, key: str, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.key = key
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {key}: {reason}")


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    override = env.get("ASR_CONSOLE_CONFIG")
    return Path(override).expanduser() if override else config_dir() / "config.toml"


def state_path() -> Path:
    """Where the console keeps choices made in the UI (the theme), apart from the user's own file."""
    return Path(platformdirs.user_state_dir(APP_NAME)) / "state.toml"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME))


@dataclass(frozen=True, slots=True)
class Settings:
    profile: str = ""
    subscription: str = ""
    resource_group: str = ""
    vault: str = ""
    arm_endpoint: str = PUBLIC_CLOUD_ARM
    auth: str = "default"
    tenant: str = ""
    ca_bundle: str = ""
    vcenter_url: str = ""
    vcenter_user: str = ""
    insecure: bool = False
    read_only: bool = False
    environment: str = ""
    environment_color: str = ""
    theme: str = "dark"
    # event and job times in UTC rather than the local zone
    utc: bool = False
    # a headless command's overall deadline, seconds
    timeout: float = 60.0
    # how long a write command's --wait follows its jobs before giving up on them, seconds
    wait_timeout: float = 3600.0
    intervals: Intervals = field(default_factory=Intervals)
    # the targets the doctor checks (names or ARM ids): where this site's VMs fail over to
    target_resource_group: str = ""
    target_network: str = ""
    target_subnet: str = ""
    cache_storage: str = ""
    # vCenter port group (lower-cased) → its Azure targets: the profile's [network_map."PORT GROUP"]
    network_map: Mapping[str, NetworkMapping] = field(default_factory=dict)
    config_path: str = ""
    # field name → where its value came from: default, profile, env NAME, flag
    origins: Mapping[str, str] = field(default_factory=dict)

    def vcenter_password(self, env: Mapping[str, str] | None = None) -> str:
        env = os.environ if env is None else env
        if env.get("GOVC_PASSWORD"):
            return env["GOVC_PASSWORD"]
        return keyring_secret(f"vcenter:{self.vcenter_url}", self.vcenter_user) or ""

    def has_azure_target(self) -> bool:
        return bool(self.subscription and self.resource_group and self.vault)

    def public_dict(self) -> dict[str, Any]:
        """Resolved settings for display: no secrets are fields, but say where secrets would come from."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("origins",):
                continue
            value = getattr(self, f.name)
            if isinstance(value, Intervals):
                value = asdict(value)
            elif f.name == "network_map":
                value = {
                    m.port_group: {k: v for k, v in asdict(m).items() if k != "port_group" and v}
                    for m in value.values()
                }
            elif isinstance(value, str):
                value = mask_url(value)
            out[f.name] = value
        out["secrets"] = {
            "vcenter_password": _secret_origin("GOVC_PASSWORD"),
            "access_token": _secret_origin("ASR_CONSOLE_ACCESS_TOKEN"),
            "azure_client_secret": _secret_origin("AZURE_CLIENT_SECRET"),
        }
        return out


def _secret_origin(var: str) -> str:
    return f"set in {var} (****)" if os.environ.get(var) else f"not set ({var} or keyring)"


def keyring_secret(service: str, user: str) -> str | None:
    """The OS keyring is optional (usually absent over SSH); a missing one is not an error."""
    try:
        import keyring  # type: ignore[import-not-found,unused-ignore]  # optional, often absent
    except ImportError:
        return None
    try:
        value = keyring.get_password(f"{APP_NAME}:{service}", user)
    except Exception:  # any keyring back-end failure means "no secret there"
        return None
    return str(value) if value else None


# --------------------------------------------------------------------------- schema

_STR_KEYS = {
    "subscription",
    "resource_group",
    "vault",
    "arm_endpoint",
    "auth",
    "tenant",
    "ca_bundle",
    "vcenter_url",
    "vcenter_user",
    "environment",
    "environment_color",
    "theme",
    "target_resource_group",
    "target_network",
    "target_subnet",
    "cache_storage",
}
_BOOL_KEYS = {"insecure", "read_only", "utc"}
_NUMBER_KEYS = {"timeout", "wait_timeout"}
# seconds: a deadline below a second cannot be met; ASR jobs (a failover of many disks) can take hours
NUMBER_RANGES = {"timeout": (1.0, 3600.0), "wait_timeout": (1.0, 86400.0)}
_SECRET_KEYS = {"password", "vcenter_password", "secret", "client_secret", "token", "access_token"}
_INTERVAL_KEYS = {f.name for f in fields(Intervals)}

ENV_VARS: dict[str, tuple[str, ...]] = {
    "subscription": ("ASR_CONSOLE_SUBSCRIPTION", "AZURE_SUBSCRIPTION_ID"),
    "resource_group": ("ASR_CONSOLE_RESOURCE_GROUP",),
    "vault": ("ASR_CONSOLE_VAULT",),
    "arm_endpoint": ("ASR_CONSOLE_ARM_ENDPOINT",),
    "auth": ("ASR_CONSOLE_AUTH",),
    "tenant": ("AZURE_TENANT_ID",),
    "ca_bundle": ("ASR_CONSOLE_CA_BUNDLE",),
    "vcenter_url": ("GOVC_URL",),
    "vcenter_user": ("GOVC_USERNAME",),
    "insecure": ("GOVC_INSECURE",),
    "read_only": ("ASR_CONSOLE_READ_ONLY",),
    "environment": ("ASR_CONSOLE_ENVIRONMENT",),
    "theme": ("ASR_CONSOLE_THEME",),
    "utc": ("ASR_CONSOLE_UTC",),
    "timeout": ("ASR_CONSOLE_TIMEOUT",),
    "wait_timeout": ("ASR_CONSOLE_WAIT_TIMEOUT",),
}


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _parse_bool(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    return None


@dataclass(frozen=True, slots=True)
class ConfigFile:
    path: Path
    default_profile: str
    profiles: Mapping[str, Mapping[str, Any]]
    exists: bool


def load_file(path: Path) -> ConfigFile:
    if not path.exists():
        return ConfigFile(path=path, default_profile="", profiles={}, exists=False)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(path, "(file)", f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path, "(file)", f"not UTF-8 text (byte {exc.start} is 0x{exc.object[exc.start]:02x})"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", str(exc), getattr(exc, "lineno", None)) from exc

    for key in data:
        if key not in ("defaults", "profiles"):
            raise ConfigError(
                path,
                key,
                "unknown top-level key (expected [defaults] or [profiles.NAME])",
                _line_of(text, key),
            )
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(path, "defaults", "must be a table", _line_of(text, "defaults"))
    for key in defaults:
        if key != "profile":
            raise ConfigError(path, f"defaults.{key}", "unknown key (only 'profile')", _line_of(text, key))
    default_profile = defaults.get("profile", "")
    if not isinstance(default_profile, str):
        raise ConfigError(path, "defaults.profile", "must be a string", _line_of(text, "profile"))

    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(path, "profiles", "must be a table of [profiles.NAME]", _line_of(text, "profiles"))
    for name, profile in profiles.items():
        if not isinstance(profile, dict):
            raise ConfigError(path, f"profiles.{name}", "must be a table", _line_of(text, name))
        _check_profile(path, text, name, profile)
    if default_profile and default_profile not in profiles:
        raise ConfigError(
            path,
            "defaults.profile",
            f"no [profiles.{default_profile}] in this file",
            _line_of(text, "profile"),
        )
    return ConfigFile(path=path, default_profile=default_profile, profiles=profiles, exists=True)


def _check_profile(path: Path, text: str, name: str, profile: Mapping[str, Any]) -> None:
    for key, value in profile.items():
        dotted = f"profiles.{name}.{key}"
        line = _line_of(text, key)
        if key in _SECRET_KEYS:
            raise ConfigError(
                path,
                dotted,
                "secrets are not read from the config file; use GOVC_PASSWORD, ASR_CONSOLE_ACCESS_TOKEN, "
                "AZURE_CLIENT_SECRET or the OS keyring",
                line,
            )
        if key in _STR_KEYS:
            if not isinstance(value, str):
                raise ConfigError(path, dotted, f"must be a string, got {type(value).__name__}", line)
            if key == "auth" and value not in AUTH_METHODS:
                raise ConfigError(path, dotted, f"must be one of {', '.join(AUTH_METHODS)}", line)
            problem = value_problem(key, value)
            if problem:
                raise ConfigError(path, dotted, problem, line)
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(path, dotted, f"must be true or false, got {value!r}", line)
        elif key in _NUMBER_KEYS:
            problem = timeout_problem(value, key)
            if problem:
                raise ConfigError(path, dotted, problem, line)
        elif key == "network_map":
            if not isinstance(value, dict):
                raise ConfigError(path, dotted, 'must be tables of [network_map."PORT GROUP"]', line)
            for group, table in value.items():
                gline = _line_of(text, group)
                if not isinstance(table, dict):
                    raise ConfigError(
                        path, f"{dotted}.{group}", "must be a table (network, subnet, …)", gline
                    )
                from asr_console.model.network_plan import mapping_problems  # only a network map needs it

                for mkey, reason in mapping_problems(group, table):
                    raise ConfigError(path, f"{dotted}.{group}.{mkey}", reason, _line_of(text, mkey) or gline)
        elif key == "intervals":
            if not isinstance(value, dict):
                raise ConfigError(path, dotted, "must be a table of seconds", line)
            for ikey, ivalue in value.items():
                iline = _line_of(text, ikey)
                if ikey not in _INTERVAL_KEYS:
                    known = ", ".join(sorted(_INTERVAL_KEYS))
                    raise ConfigError(path, f"{dotted}.{ikey}", f"unknown interval (known: {known})", iline)
                problem = interval_problem(ikey, ivalue)
                if problem:
                    raise ConfigError(path, f"{dotted}.{ikey}", problem, iline)
        else:
            known = ", ".join(sorted(_STR_KEYS | _BOOL_KEYS | _NUMBER_KEYS | {"intervals", "network_map"}))
            raise ConfigError(path, dotted, f"unknown key (known keys: {known})", line)


def interval_problem(key: str, value: object) -> str | None:
    """Why ``value`` cannot be the interval ``key``, or None."""
    unit = "items" if key == "items_per_minute" else "seconds"
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        return f"must be a positive number of {unit}, got {value!r}"
    floor, ceiling = FLOORS.get(key, 0.0), CEILINGS.get(key, CEILING)
    if value < floor:
        return f"must be at least {floor:g} {unit}, got {value!r}"
    if value > ceiling:
        return f"must be at most {ceiling:g} {unit}, got {value!r}"
    return None


def timeout_problem(value: object, key: str = "timeout") -> str | None:
    """Why ``value`` cannot be the number of seconds ``key`` (one of ``NUMBER_RANGES``), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"must be a number of seconds, got {value!r}"
    low, high = NUMBER_RANGES[key]
    if not low <= value <= high:
        return f"must be {low:g} to {high:g} seconds, got {value!r}"
    return None


def value_problem(key: str, value: str) -> str | None:
    """Why a string setting cannot be used, wherever it came from (file, environment or flag)."""
    if key == "arm_endpoint" and not value.startswith("https://"):
        return f"must be an https:// URL, got {value!r}"
    if key == "ca_bundle" and value:
        bundle = Path(value).expanduser()
        if not bundle.is_file():
            return f"no such file: {value}"
        if not os.access(bundle, os.R_OK):
            return f"cannot read {value}"
    return None


def _origin_label(key: str, origin: str) -> str:
    if origin == "flag":
        return f"flag --{key.replace('_', '-')}"
    return origin


def resolve(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    profile: str | None = None,
) -> Settings:
    """Settings from defaults < profile < env < flags. ``flags`` holds only what the user passed."""
    env = os.environ if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    path = path or default_config_path(env)
    file = load_file(path)

    chosen = profile or env.get("ASR_CONSOLE_PROFILE") or file.default_profile
    if not chosen and DEFAULT_PROFILE in file.profiles:
        # the name says it: a [profiles.default] needs no [defaults] line to be the default (as the
        # AWS and Azure CLIs treat theirs)
        chosen = DEFAULT_PROFILE
    if chosen and chosen not in file.profiles:
        known = ", ".join(sorted(file.profiles)) or "none defined"
        raise ConfigError(path, f"profiles.{chosen}", f"no such profile (profiles: {known})")

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    intervals = Intervals()
    saved_theme = load_saved_theme()
    if saved_theme:
        values["theme"], origins["theme"] = saved_theme, f"saved in {state_path()}"
    if chosen:
        for key, value in file.profiles[chosen].items():
            if key == "intervals":
                intervals = replace(intervals, **{k: float(v) for k, v in value.items()})
                origins["intervals"] = f"profile {chosen}"
            elif key == "network_map":
                from asr_console.model.network_plan import parse_network_map

                values[key] = parse_network_map(value)
                origins[key] = f"profile {chosen}"
            else:
                values[key] = value
                origins[key] = f"profile {chosen}"
    for key, names in ENV_VARS.items():
        for name in names:
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            if key in _BOOL_KEYS:
                parsed = _parse_bool(raw)
                if parsed is None:
                    raise ConfigError(f"environment {name}", key, f"must be true or false, got {raw!r}")
                values[key] = parsed
            elif key in _NUMBER_KEYS:
                try:
                    number = float(raw)
                except ValueError:
                    number = math.nan
                problem = timeout_problem(number, key)
                if problem:
                    raise ConfigError(f"environment {name}", key, problem)
                values[key] = number
            else:
                values[key] = raw
            origins[key] = f"env {name}"
            break
    for key, value in flags.items():
        values[key] = value
        origins[key] = "flag"

    for key in ("arm_endpoint", "ca_bundle"):
        value = values.get(key)
        problem = value_problem(key, value) if isinstance(value, str) else None
        if problem:
            raise ConfigError(_origin_label(key, origins.get(key, "settings")), key, problem)
    auth = values.get("auth", "default")
    if auth not in AUTH_METHODS:
        raise ConfigError(
            origins.get("auth", "settings"), "auth", f"must be one of {', '.join(AUTH_METHODS)}"
        )
    return Settings(
        profile=chosen or "",
        intervals=intervals,
        config_path=str(path),
        origins=origins,
        **values,
    )


def load_saved_theme() -> str | None:
    path = state_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    theme = data.get("theme")
    return theme if isinstance(theme, str) and theme else None


def save_theme(theme: str) -> Path:
    """Persist the theme chosen in the UI (not into the user's own file, whose comments we'd lose)."""
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = theme.replace("\\", "").replace('"', "")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f'theme = "{safe}"\n', encoding="utf-8")
    tmp.replace(path)
    return path
