"""The SSRF guard's address classifier and allow list, without a network."""

from __future__ import annotations

import asyncio
import re

import pytest

from enricher.branding.guard import AddressGuard, blocked_reason
from enricher.errors import BlockedTargetError, FetchError


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared"),
        ("100.127.255.254", "shared"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("::ffff:169.254.169.254", "IPv4-mapped link-local"),
        ("::ffff:10.1.2.3", "IPv4-mapped private"),
        ("64:ff9b::a00:1", "NAT64 private"),
        ("64:ff9b::7f00:1", "NAT64 loopback"),
        ("64:ff9b:1::1", "NAT64"),
        ("fc00::1", "unique-local"),
        ("fd12:3456:789a::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("2002:7f00:1::", "6to4 loopback"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ],
)
def test_refused_addresses_name_the_reason(address: str, why: str) -> None:
    reason = blocked_reason(address)
    assert reason is not None and why in reason


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(address) is None


def test_not_an_address() -> None:
    assert blocked_reason("localhost") == "not an IP address"


def _guard(*allow: str, answers: dict[str, list[str]] | None = None) -> AddressGuard:
    table = answers or {}

    async def resolver(host: str) -> list[str]:
        if host not in table:
            raise OSError("NXDOMAIN")
        return table[host]

    return AddressGuard(allow=allow, resolver=resolver)


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    guard = _guard(answers={"intranet.example": ["10.0.0.5"]})
    with pytest.raises(BlockedTargetError, match=re.escape("10.0.0.5")):
        asyncio.run(guard.resolve("intranet.example"))


def test_one_private_answer_among_public_ones_refuses_the_host() -> None:
    guard = _guard(answers={"rebind.example": ["93.184.215.14", "127.0.0.1"]})
    with pytest.raises(BlockedTargetError, match=re.escape("127.0.0.1")):
        asyncio.run(guard.resolve("rebind.example"))


def test_public_answers_are_returned_in_order() -> None:
    guard = _guard(answers={"acme.example": ["93.184.215.14", "2606:4700:4700::1111"]})
    assert asyncio.run(guard.resolve("acme.example")) == ["93.184.215.14", "2606:4700:4700::1111"]


def test_allowed_names_and_suffixes_skip_the_check_but_raw_ips_do_not() -> None:
    guard = _guard(
        "sites.test",
        "*.fixtures.test",
        answers={"sites.test": ["127.0.0.1"], "a.fixtures.test": ["10.1.1.1"]},
    )
    assert asyncio.run(guard.resolve("sites.test")) == ["127.0.0.1"]
    assert asyncio.run(guard.resolve("a.fixtures.test")) == ["10.1.1.1"]
    with pytest.raises(BlockedTargetError, match="loopback"):
        asyncio.run(guard.resolve("127.0.0.1"))
    assert not guard.name_allowed("evil-sites.test")


def test_allowed_cidr_lets_those_addresses_through_only() -> None:
    guard = _guard("10.20.0.0/16", answers={"onprem.example": ["10.20.3.4"], "other.example": ["10.30.0.1"]})
    assert asyncio.run(guard.resolve("onprem.example")) == ["10.20.3.4"]
    assert asyncio.run(guard.resolve("10.20.9.9")) == ["10.20.9.9"]
    with pytest.raises(BlockedTargetError):
        asyncio.run(guard.resolve("other.example"))


def test_unresolvable_host_is_a_fetch_error_not_a_block() -> None:
    with pytest.raises(FetchError, match="cannot resolve") as info:
        asyncio.run(_guard().resolve("nowhere.example"))
    assert not isinstance(info.value, BlockedTargetError)


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "017700000001", "localhost"])
def test_odd_spellings_of_loopback_are_caught_after_resolution(host: str) -> None:
    # The system resolver turns these into 127.0.0.1 (or ::1); the check runs on what it answers.
    guard = AddressGuard()
    with pytest.raises(BlockedTargetError, match="loopback"):
        asyncio.run(guard.resolve(host))


@pytest.mark.parametrize(
    "answer",
    ["169.254.169.254", "0.0.0.0", "224.0.0.1", "::", "fe80::1", "ff02::1", "fd00:ec2::254",
     "100.100.100.200", "192.0.0.192", "::ffff:169.254.169.254", "192.0.2.1"],
)  # fmt: skip
def test_the_allow_list_lifts_only_loopback_and_private(answer: str) -> None:
    """Issue 11: an allowed name or CIDR never reaches link-local, metadata, unspecified or multicast."""
    everything = "::/0" if ":" in answer else "0.0.0.0/0"
    guard = _guard("intranet.corp", everything, answers={"intranet.corp": [answer]})
    with pytest.raises(BlockedTargetError, match="lifts only loopback and private"):
        asyncio.run(guard.resolve("intranet.corp"))
    with pytest.raises(BlockedTargetError):
        asyncio.run(guard.resolve(answer))


@pytest.mark.parametrize(
    "answer", ["127.0.0.1", "10.1.2.3", "192.168.0.9", "fd12::1", "::ffff:10.0.0.1", "100.64.1.1"]
)
def test_the_allow_list_lifts_loopback_and_private(answer: str) -> None:
    guard = _guard("intranet.corp", answers={"intranet.corp": [answer]})
    assert asyncio.run(guard.resolve("intranet.corp")) == [answer]
