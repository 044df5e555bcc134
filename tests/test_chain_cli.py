"""`fabkiosk chain ...` refuses, with what to do, what cannot work: a chain member on SQLite, a head-office command
at a store, a join under another store's id."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.__main__ import main


def _config(tmp_path: Path, chain: str, database: str = "") -> str:
    path = tmp_path / "fabkiosk.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n{database}[chain]\n{chain}')
    return str(path)


def test_head_office_commands_need_the_head_office_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, 'store_id = "koeln"\n')
    assert main(["--config", config, "chain", "add-store", "leipzig", "--city", "Leipzig"]) == 2
    assert '[chain] role = "hq"' in capsys.readouterr().err


def test_a_store_joins_only_under_its_own_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, 'store_id = "koeln"\n', 'database_url = "postgresql+psycopg://u@127.0.0.1:1/x"\n')
    assert main(["--config", config, "chain", "join", "--hq", "postgresql://h@127.0.0.1:1/x", "--store", "bonn"]) == 2
    assert 'set [chain] store_id = "bonn"' in capsys.readouterr().err


def test_a_chain_needs_postgresql(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, 'role = "hq"\n')
    assert main(["--config", config, "chain", "init-hq"]) == 1
    assert "a chain needs PostgreSQL" in capsys.readouterr().err
