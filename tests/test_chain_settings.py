"""The [chain] settings: a store id names slots and publications, so only a PostgreSQL identifier part is taken."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_settings


def test_a_store_on_its_own_needs_no_chain_settings() -> None:
    chain = load_settings(None).chain
    assert (chain.role, chain.store_id) == ("store", "demo")


@pytest.mark.parametrize("store_id", ["Köln", "koeln-mitte", "1st", "k" * 41, "koeln; DROP TABLE jobs"])
def test_a_store_id_that_cannot_name_a_slot_is_refused(store_id: str) -> None:
    with pytest.raises(ConfigError, match=r"chain\.store_id"):
        load_settings(None, chain={"store_id": store_id})


def test_the_role_is_store_or_hq() -> None:
    assert load_settings(None, chain={"role": "hq"}).chain.role == "hq"
    with pytest.raises(ConfigError, match=r"chain\.role"):
        load_settings(None, chain={"role": "regional"})
