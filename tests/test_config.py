from __future__ import annotations

from pathlib import Path

import pytest

from asr_console.config import ConfigError, resolve, save_theme

GOOD = """
[defaults]
profile = "prod"

[profiles.prod]
subscription = "sub-1"
resource_group = "rg-dr"
vault = "vault-prod"
read_only = true
environment = "PROD"
environment_color = "red"

[profiles.prod.intervals]
items = 45

[profiles.lab]
vault = "vault-lab"
auth = "device-code"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_profile_values_and_origins(tmp_path: Path) -> None:
    settings = resolve(path=write(tmp_path, GOOD), env={})
    assert settings.profile == "prod"
    assert settings.vault == "vault-prod" and settings.read_only
    assert settings.intervals.items == 45 and settings.intervals.jobs == 30
    assert settings.origins["vault"] == "profile prod"


def test_precedence_flags_over_env_over_profile(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    env = {"ASR_CONSOLE_VAULT": "from-env", "ASR_CONSOLE_RESOURCE_GROUP": "rg-env"}
    settings = resolve(flags={"vault": "from-flag"}, env=env, path=path)
    assert settings.vault == "from-flag" and settings.origins["vault"] == "flag"
    assert (
        settings.resource_group == "rg-env"
        and settings.origins["resource_group"] == "env ASR_CONSOLE_RESOURCE_GROUP"
    )
    assert settings.subscription == "sub-1"


def test_explicit_profile_and_env_profile(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert resolve(path=path, env={}, profile="lab").vault == "vault-lab"
    assert resolve(path=path, env={"ASR_CONSOLE_PROFILE": "lab"}).auth == "device-code"


def test_a_profile_named_default_is_used_when_none_is_chosen(tmp_path: Path) -> None:
    text = '[profiles.default]\nvault = "vault-default"\n\n[profiles.lab]\nvault = "vault-lab"\n'
    path = write(tmp_path, text)
    settings = resolve(path=path, env={})
    assert settings.profile == "default" and settings.vault == "vault-default"
    assert settings.origins["vault"] == "profile default"
    # a profile chosen by flag, environment or [defaults] still wins
    assert resolve(path=path, env={}, profile="lab").vault == "vault-lab"
    assert resolve(path=path, env={"ASR_CONSOLE_PROFILE": "lab"}).vault == "vault-lab"
    chosen = write(tmp_path, '[defaults]\nprofile = "lab"\n' + text)
    assert resolve(path=chosen, env={}).vault == "vault-lab"


def test_without_a_default_profile_none_is_used(tmp_path: Path) -> None:
    settings = resolve(path=write(tmp_path, '[profiles.lab]\nvault = "vault-lab"\n'), env={})
    assert settings.profile == "" and settings.vault == ""


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = resolve(path=tmp_path / "absent.toml", env={})
    assert settings.vault == "" and settings.arm_endpoint == "https://management.azure.com"


def test_env_overrides_config_path(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert resolve(env={"ASR_CONSOLE_CONFIG": str(path)}).vault == "vault-prod"


@pytest.mark.parametrize(
    ("text", "key", "reason", "line"),
    [
        ('[profiles.a]\nvualt = "x"\n', "profiles.a.vualt", "unknown key", 2),
        ('[profiles.a]\nread_only = "yes"\n', "profiles.a.read_only", "must be true or false", 2),
        ("[profiles.a]\nvault = 3\n", "profiles.a.vault", "must be a string", 2),
        ('[profiles.a]\nauth = "magic"\n', "profiles.a.auth", "must be one of", 2),
        ('[profiles.a]\npassword = "hunter2"\n', "profiles.a.password", "secrets are not read", 2),
        ("[profiles.a.intervals]\nitems = -1\n", "profiles.a.intervals.items", "positive number", 2),
        ('[profiles.a]\narm_endpoint = "http://x"\n', "profiles.a.arm_endpoint", "https://", 2),
        ('[defaults]\nprofile = "nope"\n', "defaults.profile", "no [profiles.nope]", 2),
        ("[profiles.a\n", "(syntax)", "", None),
    ],
)
def test_errors_name_file_key_and_reason(
    tmp_path: Path, text: str, key: str, reason: str, line: int | None
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        resolve(path=path, env={})
    err = info.value
    assert err.path == str(path) and err.key == key and reason in err.reason
    if line is not None:
        assert err.line == line
    assert str(path) in str(err) and key in str(err)


def test_unknown_profile_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="profiles: lab, prod"):
        resolve(path=write(tmp_path, GOOD), env={}, profile="staging")


def test_bad_boolean_env_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GOVC_INSECURE"):
        resolve(path=tmp_path / "none.toml", env={"GOVC_INSECURE": "maybe"})


def test_secrets_never_in_settings_and_come_from_env(tmp_path: Path) -> None:
    settings = resolve(path=write(tmp_path, GOOD), env={})
    assert settings.vcenter_password({"GOVC_PASSWORD": "s3cret"}) == "s3cret"
    shown = repr(settings.public_dict())
    assert "s3cret" not in shown


def test_saved_theme_is_used_below_env_and_flags(tmp_path: Path) -> None:
    save_theme("high-contrast")
    assert resolve(path=tmp_path / "none.toml", env={}).theme == "high-contrast"
    assert resolve(path=tmp_path / "none.toml", env={"ASR_CONSOLE_THEME": "light"}).theme == "light"


def test_utc_is_a_checked_boolean(tmp_path: Path) -> None:
    assert not resolve(path=tmp_path / "none.toml", env={}).utc
    settings = resolve(path=write(tmp_path, "[profiles.a]\nutc = true\n"), env={}, profile="a")
    assert settings.utc and settings.origins["utc"] == "profile a"
    path = write(tmp_path, '[profiles.a]\nutc = "yes"\n')
    with pytest.raises(ConfigError) as info:
        resolve(path=path, env={}, profile="a")
    assert info.value.key == "profiles.a.utc" and info.value.line == 2
