"""OCSF 1.7.0 events exported by `complog export --to ocsf` from every golden
vector and example, validated by pydantic-ocsf 3.0.0's models and, strictly
(unknown attributes are errors), against its bundled schema JSON.

`cargo xtask test` (step "exports") writes the events and the verdicts of
`complog validate` for the same entries, and points LOKRYN_OCSF_EVENTS and
LOKRYN_OCSF_VERDICTS at them.
"""

from __future__ import annotations

import copy
import json
import re
import os
from pathlib import Path

import pytest
import ocsf
import ocsf.v1_7_0.events as models
import ocsf.v1_7_0.objects as objects

from ocsf_validate import Schema, Checker, validate


def _lines(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().split("\n") if line.strip()]


@pytest.fixture(scope="module")
def events() -> list[dict]:
    events = _lines(os.environ["LOKRYN_OCSF_EVENTS"])
    assert len(events) > 100, "every vector and example should be exported"
    return events


@pytest.fixture(scope="module")
def verdicts() -> list[bool]:
    rows = _lines(os.environ["LOKRYN_OCSF_VERDICTS"])
    return [row["valid"] for row in rows if "summary" not in row and row.get("error") is None]


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema()


def _object_namespace() -> dict:
    """Every object model of pydantic-ocsf's 1.7.0 namespace, by class name."""
    stub = (Path(ocsf.__file__).parent / "v1_7_0" / "objects.pyi").read_text()
    names = re.findall(r"^class (\w+)\(", stub, flags=re.M)
    import typing

    import pydantic

    found = {**vars(typing), "SerializeAsAny": pydantic.SerializeAsAny}
    for name in names:
        try:
            found[name] = getattr(objects, name)
        except AttributeError:  # a stub class that is not an object model
            pass
    return found


def _model(schema: Schema, class_uid: int):
    name = schema.classes[class_uid]
    model = getattr(models, "".join(part.capitalize() for part in name.split("_")))
    if not model.__pydantic_complete__:
        # pydantic-ocsf builds models lazily; Base Event refers to objects
        # not yet loaded when it is the first model used.
        model.model_rebuild(_types_namespace=_object_namespace())
    return model


def test_every_event_validates_strictly(events, verdicts):
    assert len(verdicts) == len(events)
    assert sum(verdicts) >= 25, "the required-attribute checks must cover real records"
    assert validate(events, verdicts) == []


def test_every_event_of_a_valid_record_parses_with_pydantic_ocsf(events, verdicts, schema):
    # pydantic-ocsf's models enforce required attributes, which a record
    # that fails our own baseline (no actor, say) cannot fill; such events
    # are held to every other check by test_every_event_validates_strictly.
    checked = 0
    for event, valid in zip(events, verdicts):
        if not valid:
            continue
        checked += 1
        model = _model(schema, event["class_uid"])
        parsed = model.model_validate(event)
        # pydantic-ocsf accepts unknown attributes as extras: there must be none.
        assert not parsed.model_extra, (event["class_uid"], parsed.model_extra)
    assert checked >= 25


def test_every_event_type_is_exported(events):
    classes = {e["class_uid"] for e in events}
    assert {1001, 3001, 3002, 3003, 3004, 4001, 6001, 6002, 6003} <= classes


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda e: e.__setitem__("colour", "blue"), "colour: not an attribute"),
        (lambda e: e["metadata"].__setitem__("vendor", "x"), "metadata.vendor: not an attribute"),
        (lambda e: e.__setitem__("severity_id", 7), "severity_id: 7 is not one of"),
        (lambda e: e.__setitem__("severity", "Bad"), "severity: 'Bad' is not the caption"),
        (lambda e: e.__setitem__("type_uid", 1), "type_uid"),
        (lambda e: e.__setitem__("class_uid", 6099), "class_uid: 6099 is not a class"),
        (lambda e: e.__setitem__("time", "2025-01-01"), "time: '2025-01-01' is not a timestamp_t"),
        (lambda e: e.pop("metadata"), "metadata: required"),
        (lambda e: e["actor"].__setitem__("user", {"email_addr": "a@b"}), "needs at least one of"),
    ],
)
def test_the_validator_rejects(events, schema, mutate, expected):
    event = copy.deepcopy(next(e for e in events if e["class_uid"] == 6003 and "actor" in e))
    assert Checker(schema, True).check_event(event) == []
    mutate(event)
    errors = Checker(schema, True).check_event(event)
    assert any(expected in error for error in errors), errors
