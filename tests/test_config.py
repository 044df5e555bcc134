"""Settings: sensible defaults, and a bad file fails at start naming the key and what is allowed."""

from decimal import Decimal
from pathlib import Path

import pytest

from app.config import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fabkiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FABKIOSK_CONFIG", raising=False)
    settings = load_settings()
    assert settings.port == 8080 and settings.host == "127.0.0.1"
    assert settings.prices.currency == "EUR"
    assert settings.effective_database_url.startswith("sqlite:///")


def test_file_values_and_relative_paths(tmp_path: Path) -> None:
    path = write(tmp_path, 'store_name = "Laden"\ndata_dir = "d"\n[prices]\nsetup_fee = 3.5\ncurrency = "CHF"\n')
    settings = load_settings(path)
    assert settings.store_name == "Laden"
    assert settings.data_dir == tmp_path / "d"
    assert settings.prices.setup_fee == Decimal("3.5") and settings.prices.currency == "CHF"


def test_example_file_is_valid() -> None:
    settings = load_settings(Path(__file__).parent.parent / "fabkiosk.example.toml")
    assert settings.store_name


def test_config_file_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABKIOSK_CONFIG", str(write(tmp_path, "port = 9001\n")))
    assert load_settings().port == 9001


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prot = 80\n", "prot: unknown key; allowed here:"),
        ("port = 0\n", "port: give a whole number from 1 to 65535"),
        ('trusted_proxies = ["my-proxy"]\n', "trusted_proxies: 'my-proxy' is not an IP address"),
        ('allowed_hosts = ["shop.example.com:8080"]\n', "allowed_hosts: 'shop.example.com:8080' is not a host name"),
        ('[store]\nkiosk_may_clear = "sometimes"\n', "store.kiosk_may_clear: 'sometimes' is not allowed"),
        ('[store]\nlocal_browser_is_kiosk = "yes"\n', "store.local_browser_is_kiosk: give true or false"),
        ('port = "80"\n', "port: give a whole number"),
        ('languages = ["fr"]\n', "languages: 'fr' is not supported; allowed: de, en"),
        ('default_language = "en"\nlanguages = ["de"]\n', "default_language: 'en' must be one of languages"),
        ('[prices]\ncurrency = "Euro"\n', "prices.currency: give a three-letter ISO 4217 code"),
        (
            '[prices]\nrounding = "sideways"\n',
            "prices.rounding: 'sideways' is not allowed; allowed: up, nearest, down",
        ),
        ("[prices]\nsetup_fee = -1\n", "prices.setup_fee: give an amount from 0"),
        (
            "[prices.machine_per_hour]\nspaceship = 3\n",
            "prices.machine_per_hour.spaceship: unknown machine kind",
        ),
        ("[uploads]\nmax_triangles = 5\n", "uploads.max_triangles: give a whole number from 100"),
        ('database_url = "mysql://x"\n', "database_url: must start with sqlite:// or postgresql://"),
        ("port = [\n", "is not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        load_settings(write(tmp_path, text))
    assert message in str(caught.value)


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
