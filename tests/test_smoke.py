from typing import Any


def test_create_and_fetch(trunks: Any) -> None:
    created = trunks.create(friendly_name="a")
    assert trunks(created.sid).fetch().friendly_name == "a"
