"""The recipients file: validated on load, errors naming the entry and field."""

from __future__ import annotations

import pytest

from digest.recipients import RecipientsError, load_recipients, plain_recipients


def write(tmp_path, text):
    path = tmp_path / "recipients.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_recipients_with_filters_and_the_extra_addresses(tmp_path):
    path = write(
        tmp_path,
        "recipients:\n"
        "  - email: mobility@example.org\n"
        "    name: 모빌리티팀\n"
        "    focus_areas: [mobility]\n"
        "    cities: [Incheon]\n",
    )
    found = load_recipients(path, ["Mobility@example.org", "all@example.org"])
    assert [r.email for r in found] == ["mobility@example.org", "all@example.org"]
    audience = found[0].audience(["Seoul", "Busan"])
    assert audience.focus_areas == ("mobility",)
    assert audience.key_cities == ("Incheon",)  # their own cities replace the defaults
    assert found[1].audience(["Seoul"]).key_cities == ("Seoul",)
    assert not found[1].audience(["Seoul"]).filtered


def test_an_absent_file_means_the_extra_addresses_only(tmp_path):
    found = load_recipients(tmp_path / "none.yaml", ["staff@example.org"])
    assert [r.email for r in found] == ["staff@example.org"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "  - email: not-an-address\n",
            r"recipient 1 \(not-an-address\), field email: .*not an email address",
        ),
        (
            "  - email: a@example.org\n    focus_areas: [mobilty]\n",
            r"recipient 1 \(a@example.org\), field focus_areas: .*unknown focus area 'mobilty'",
        ),
        (
            "  - email: a@example.org\n    cities: [Seol]\n",
            r"recipient 1 \(a@example.org\), field cities: .*unknown city 'Seol'",
        ),
        ("  - email: a@example.org\n    city: Seoul\n", r"field city: Extra inputs"),
    ],
)
def test_a_bad_entry_is_named(tmp_path, entry, message):
    with pytest.raises(RecipientsError, match=message):
        load_recipients(write(tmp_path, "recipients:\n" + entry))


def test_a_repeated_address_is_an_error(tmp_path):
    path = write(tmp_path, "recipients:\n  - email: a@example.org\n  - email: A@example.org\n")
    with pytest.raises(RecipientsError, match=r"recipient 2 repeats a@example\.org"):
        load_recipients(path)


def test_a_bad_to_address_is_named():
    with pytest.raises(RecipientsError, match=r"--to: .*not an email address"):
        plain_recipients(["staff"])
