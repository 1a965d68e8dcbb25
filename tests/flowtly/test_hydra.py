"""Reading Hydra collections in both spellings."""

from __future__ import annotations

import pytest

from enricher.flowtly.hydra import HydraKeys, members, next_link, total_items


def test_api_platform_3_keys() -> None:
    page = {
        "hydra:member": [{"id": 1}],
        "hydra:totalItems": 31,
        "hydra:view": {"@id": "/c?page=1", "hydra:next": "/c?page=2"},
    }
    assert members(page) == [{"id": 1}]
    assert total_items(page) == 31
    assert next_link(page) == "/c?page=2"


def test_api_platform_4_keys() -> None:
    page = {"member": [{"id": 2}], "totalItems": 1, "view": {"@id": "/c?page=2", "previous": "/c?page=1"}}
    assert members(page) == [{"id": 2}]
    assert total_items(page) == 1
    assert next_link(page) is None


def test_missing_parts() -> None:
    assert members({}) == []
    assert next_link({"view": "nonsense"}) is None
    assert next_link({"hydra:view": {"hydra:next": ""}}) is None
    assert total_items({"totalItems": True}) is None
    with pytest.raises(ValueError, match="must be a list"):
        members({"member": {"id": 1}})


def test_keys_for_writing() -> None:
    assert HydraKeys(True).key("member") == "hydra:member"
    assert HydraKeys(False).key("member") == "member"
    assert HydraKeys(True).collection_type == "hydra:Collection"
    assert HydraKeys(False).view_type == "PartialCollectionView"
