"""The README stays true to the code where it can be checked mechanically: every setting
is in its table, described, under its group."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.settings import GROUPS, Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_described_and_listed_under_its_group_in_the_readme():
    table = README[README.index("| setting | default | meaning |"):]
    table = table[: table.index("\n\n")]
    group = None
    listed: dict[str, str] = {}
    for row in table.splitlines()[2:]:
        if heading := re.match(r"\| \*\*(\w+)\*\* \|", row):
            group = heading.group(1)
        elif name := re.match(r"\| `(\w+)` \|", row):
            listed[name.group(1)] = group
    expected = {key: g for g in GROUPS for key in Settings.group(g)}
    assert listed == expected
    assert all(info.description for info in Settings.model_fields.values())
