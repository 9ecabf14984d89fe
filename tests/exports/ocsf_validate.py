"""Strict validation of OCSF events against the OCSF 1.7.0 schema bundled, as
JSON, in the pydantic-ocsf package (ocsf/schemas/v1_7_0.json).

pydantic-ocsf's models accept unknown attributes, so this checks the events
against the schema JSON itself:

* the class: class_uid is a class of the schema (its category uid * 1000 + its
  uid), category_uid its category, type_uid = class_uid * 100 + activity_id,
  activity_id one of the class's activities (inherited through `extends`);
* every attribute, at every depth, is an attribute of its class or object
  (attributes inherit through `extends`; profile attributes are refused, since
  the events declare no profiles): an unknown attribute is an error;
* every value has its attribute's type (string, integer within 32 bits, long,
  float, boolean, object, array) and, for an enum attribute, one of its values;
  a caption sibling (severity for severity_id) matches its id's caption unless
  the id is 99 (Other);
* with `required=True`: the class's and objects' required attributes are
  present, and each object's `at_least_one` constraint holds.

Usage as a script: python ocsf_validate.py EVENTS.jsonl [VERDICTS.jsonl]
VERDICTS are `complog validate --format json` lines for the same entries: the
required-attribute checks apply to the events whose record passed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import ocsf

SCHEMA_PATH = Path(ocsf.__file__).parent / "schemas" / "v1_7_0.json"
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


class Schema:
    def __init__(self, path: Path = SCHEMA_PATH):
        raw = json.loads(path.read_text())
        assert raw["version"] == "1.7.0", raw["version"]
        self.events = raw["events"]
        self.objects = raw["objects"]
        self.dictionary = raw["dictionary"]["attributes"]
        self.types = raw["dictionary"]["types"]["attributes"]
        self.categories = {
            name: meta["uid"] for name, meta in raw["categories_meta"]["attributes"].items()
        }
        self.classes: dict[int, str] = {}
        for name, event in self.events.items():
            if "uid" not in event:
                continue
            if name == "base_event":
                self.classes[0] = name
                continue
            category = self.category_of(name)
            self.classes[self.categories[category] * 1000 + event["uid"]] = name
        self.classes.setdefault(0, "base_event")

    def category_of(self, name: str) -> str:
        while name:
            event = self.events[name]
            if event.get("category") and event["category"] in self.categories:
                return event["category"]
            # A class's own `extends` names its category's base class.
            parent = event.get("extends")
            if parent in self.categories:
                return parent
            name = parent
        raise KeyError(name)

    def category_uid(self, class_uid: int) -> int:
        name = self.classes[class_uid]
        return 0 if name == "base_event" else self.categories[self.category_of(name)]

    @staticmethod
    def _merge(chain: list[dict]) -> dict:
        """Attributes along an extends chain, most general first; enums merge."""
        out: dict[str, dict] = {}
        for attributes in chain:
            for key, spec in attributes.items():
                if key == "$include":
                    continue
                merged = dict(out.get(key, {}))
                enum = dict(merged.get("enum", {}))
                merged.update(spec)
                if "enum" in spec:
                    enum.update(spec["enum"])
                if enum:
                    merged["enum"] = enum
                out[key] = merged
        return out

    def class_attributes(self, name: str) -> dict:
        chain = []
        while name:
            chain.append(self.events[name]["attributes"])
            name = self.events[name].get("extends")
        return self._merge(list(reversed(chain)))

    def object_attributes(self, name: str) -> tuple[dict, list]:
        chain, constraints = [], []
        while name:
            obj = self.objects[name]
            chain.append(obj["attributes"])
            # The most specific object's constraints replace those it extends.
            if obj.get("constraints") and not constraints:
                constraints.append(obj["constraints"])
            name = obj.get("extends")
        return self._merge(list(reversed(chain))), constraints

    def spec(self, key: str, local: dict) -> dict:
        """An attribute's full spec: the dictionary's, overridden locally."""
        base = dict(self.dictionary.get(key, {}))
        enum = dict(base.get("enum", {}))
        base.update(local)
        if "enum" in local:
            enum.update(local["enum"])
        if enum:
            base["enum"] = enum
        return base

    def base_type(self, type_name: str) -> str:
        seen = set()
        while type_name in self.types and type_name not in seen:
            seen.add(type_name)
            parent = self.types[type_name].get("type")
            if not parent or parent == type_name:
                break
            type_name = parent
        return type_name


class Checker:
    def __init__(self, schema: Schema, required: bool):
        self.schema = schema
        self.required = required
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def check_event(self, event: dict) -> list[str]:
        self.errors = []
        s = self.schema
        class_uid = event.get("class_uid")
        if class_uid not in s.classes:
            self.error("class_uid", f"{class_uid!r} is not a class of OCSF 1.7.0")
            return self.errors
        name = s.classes[class_uid]
        if event.get("category_uid") != s.category_uid(class_uid):
            self.error("category_uid", f"{event.get('category_uid')!r} is not the category of {name}")
        activity = event.get("activity_id")
        if event.get("type_uid") != class_uid * 100 + (activity if isinstance(activity, int) else 0):
            self.error("type_uid", f"{event.get('type_uid')!r} != class_uid * 100 + activity_id")
        attributes = s.class_attributes(name)
        self.check_object(event, attributes, [], name, "")
        if event.get("class_name") != s.events[name]["caption"]:
            self.error("class_name", f"{event.get('class_name')!r} is not {s.events[name]['caption']!r}")
        return self.errors

    def check_object(self, value: dict, attributes: dict, constraints: list, what: str, where: str) -> None:
        for key, item in value.items():
            path = f"{where}{key}"
            if key not in attributes:
                self.error(path, f"not an attribute of {what}")
                continue
            self.check_value(item, self.schema.spec(key, attributes[key]), value, key, path)
        if self.required:
            for key, spec in attributes.items():
                if spec.get("requirement") == "required" and key not in value:
                    self.error(f"{where}{key}", f"required by {what}, missing")
            for constraint in constraints:
                one_of = constraint.get("at_least_one")
                if one_of and not any(k in value for k in one_of):
                    self.error(where.rstrip(".") or "<event>", f"{what} needs at least one of {one_of}")

    def check_value(self, item, spec: dict, parent: dict, key: str, path: str) -> None:
        type_name = spec.get("type")
        if type_name is None:
            self.error(path, "attribute without a type in the dictionary")
            return
        if spec.get("is_array"):
            if not isinstance(item, list):
                self.error(path, f"must be an array of {type_name}")
                return
            for i, element in enumerate(item):
                self.check_single(element, spec, parent, key, f"{path}[{i}]", type_name)
            return
        self.check_single(item, spec, parent, key, path, type_name)

    def check_single(self, item, spec, parent, key, path, type_name) -> None:
        s = self.schema
        if type_name == "object":
            if not isinstance(item, dict):
                self.error(path, "must be an object")
            return
        if type_name in s.objects:
            if not isinstance(item, dict):
                self.error(path, f"must be a {type_name} object")
                return
            attributes, constraints = s.object_attributes(type_name)
            self.check_object(item, attributes, constraints, f"object {type_name}", f"{path}.")
            return
        base = s.base_type(type_name)
        ok = {
            "string_t": lambda v: isinstance(v, str),
            "integer_t": lambda v: isinstance(v, int) and not isinstance(v, bool) and INT32[0] <= v <= INT32[1],
            "long_t": lambda v: isinstance(v, int) and not isinstance(v, bool) and INT64[0] <= v <= INT64[1],
            "float_t": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean_t": lambda v: isinstance(v, bool),
            "json_t": lambda v: True,
        }.get(base)
        if ok is None:
            self.error(path, f"unknown type {type_name} ({base})")
            return
        if not ok(item):
            self.error(path, f"{item!r} is not a {type_name}")
            return
        enum = spec.get("enum")
        # class_uid and category_uid carry only the base event's values in
        # the unresolved schema; check_event checks them against the class.
        if enum is not None and key not in ("class_uid", "category_uid"):
            if str(item) not in enum:
                self.error(path, f"{item!r} is not one of {sorted(enum, key=lambda k: int(k) if k.lstrip('-').isdigit() else 0)}")
                return
            sibling = spec.get("sibling")
            if sibling and sibling in parent and item != 99:
                caption = enum[str(item)].get("caption")
                if parent[sibling] != caption:
                    self.error(f"{path[: -len(key)]}{sibling}", f"{parent[sibling]!r} is not the caption {caption!r} of {key} {item}")


def validate(events: list[dict], verdicts: list[bool] | None = None) -> list[str]:
    schema = Schema()
    problems = []
    for i, event in enumerate(events):
        required = verdicts[i] if verdicts is not None else True
        for error in Checker(schema, required).check_event(event):
            problems.append(f"event {i} (class {event.get('class_uid')}): {error}")
    return problems


def main(argv: list[str]) -> int:
    events = [json.loads(line) for line in Path(argv[1]).read_text().split("\n") if line.strip()]
    verdicts = None
    if len(argv) > 2:
        rows = [json.loads(line) for line in Path(argv[2]).read_text().split("\n") if line.strip()]
        verdicts = [row["valid"] for row in rows if "summary" not in row and row.get("error") is None]
        if len(verdicts) != len(events):
            print(f"{len(events)} events but {len(verdicts)} verdicts", file=sys.stderr)
            return 2
    problems = validate(events, verdicts)
    for p in problems:
        print(p)
    checked = sum(verdicts) if verdicts is not None else len(events)
    print(
        f"ocsf 1.7.0: {len(events)} events checked strictly, {checked} also for required attributes: "
        f"{len(problems)} problems",
        file=sys.stderr,
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
