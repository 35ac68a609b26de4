"""Settings: defaults, TOML file, environment variables, and errors that name the variable."""

from __future__ import annotations

import pytest

from server.config import SettingsError, describe_settings, load_settings


def test_environment_overrides_the_file_which_overrides_defaults(tmp_path) -> None:
    config = tmp_path / "learnwork.toml"
    config.write_text('port = 9000\nhost = "0.0.0.0"\nlog_level = "DEBUG"\n')
    settings = load_settings(config, environ={"LEARNWORK_PORT": "9100"})
    assert (settings.port, settings.host, settings.log_level) == (9100, "0.0.0.0", "DEBUG")
    assert settings.data_dir == "./data"
    assert settings.base_url == "http://localhost:9100"


def test_the_config_file_can_come_from_the_environment(tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('public_url = "https://learn.example.org/"\n')
    settings = load_settings(environ={"LEARNWORK_CONFIG": str(config)})
    assert settings.base_url == "https://learn.example.org"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"LEARNWORK_PORT": "eighty"}, "LEARNWORK_PORT"),
        ({"LEARNWORK_PORT": "70000"}, "LEARNWORK_PORT"),
        ({"LEARNWORK_APPEND_MAX_BATCH": "0"}, "LEARNWORK_APPEND_MAX_BATCH"),
        ({"LEARNWORK_SECRET_KEY": "too short"}, "LEARNWORK_SECRET_KEY"),
        ({"LEARNWORK_WEBHOOK_RETRY_SECONDS": "0"}, "LEARNWORK_WEBHOOK_RETRY_SECONDS"),
    ],
)
def test_a_bad_value_names_its_variable(environ, named) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ=environ)


def test_unknown_keys_in_the_file_are_refused(tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("prot = 80\n")
    with pytest.raises(SettingsError, match="prot"):
        load_settings(config, environ={})


def test_the_help_lists_every_setting() -> None:
    text = describe_settings()
    for name in ("LEARNWORK_DATABASE_URL", "LEARNWORK_DATA_DIR", "LEARNWORK_PUBLIC_URL"):
        assert name in text
