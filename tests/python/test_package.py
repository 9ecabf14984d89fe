"""The package's shape: exports, metadata, typing files, protobuf integration."""

import copy
import pickle
from importlib import metadata
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2, json_format, message

import lokryn_compliance_log as lcl
from lokryn_compliance_log.v1 import logentry_pb2
from conftest import ROOT
from entries import full_entry

PUBLISHED_0_1_1_NAMES = [
    "LogEntry", "EventType", "Outcome", "Severity", "Sensitivity",
    "EVENT_TYPE_UNSPECIFIED", "EVENT_LOGIN", "EVENT_LOGOUT", "EVENT_FILE_ACCESS", "EVENT_POLICY_CHANGE",
    "EVENT_PRIVILEGE_USE", "EVENT_CONFIG_CHANGE", "EVENT_DATA_EXPORT", "EVENT_NETWORK_CONNECTION",
    "EVENT_PROCESS_START", "EVENT_PROCESS_STOP", "EVENT_USER_MANAGEMENT", "EVENT_RESOURCE_ACCESS",
    "EVENT_TOOL_INVOCATION", "EVENT_MODEL_INFERENCE", "EVENT_AGENT_DECISION", "EVENT_DELEGATION",
    "EVENT_CONTEXT_ACCESS", "EVENT_PROMPT_EXECUTION", "EVENT_GUARDRAIL_CHECK",
    "OUTCOME_UNSPECIFIED", "OUTCOME_SUCCESS", "OUTCOME_FAILURE_UNAUTHORIZED", "OUTCOME_FAILURE_DENIED",
    "OUTCOME_FAILURE_ERROR", "OUTCOME_PARTIAL",
    "SEVERITY_UNSPECIFIED", "SEVERITY_DEBUG", "SEVERITY_INFO", "SEVERITY_NOTICE", "SEVERITY_WARNING",
    "SEVERITY_ERROR", "SEVERITY_CRITICAL", "SEVERITY_ALERT", "SEVERITY_EMERGENCY",
    "SENSITIVITY_UNSPECIFIED", "SENSITIVITY_PUBLIC", "SENSITIVITY_INTERNAL", "SENSITIVITY_CONFIDENTIAL",
    "SENSITIVITY_RESTRICTED", "SENSITIVITY_HIGHLY_RESTRICTED",
]


def test_every_name_the_published_package_exported_is_still_exported():
    for name in PUBLISHED_0_1_1_NAMES:
        assert name in lcl.__all__, name
        assert getattr(lcl, name) is getattr(logentry_pb2, name)


def test_every_message_enum_and_value_of_the_schema_is_exported_flat():
    file = logentry_pb2.DESCRIPTOR
    names = list(file.message_types_by_name) + list(file.enum_types_by_name)
    for enum in file.enum_types_by_name.values():
        names += [v.name for v in enum.values]
    for name in names:
        assert name in lcl.__all__, name
        assert name in lcl.v1.__all__, name
        assert getattr(lcl, name) is getattr(logentry_pb2, name)
    for enum in file.enum_types_by_name.values():
        for value in enum.values:
            assert getattr(lcl, value.name) == value.number
    assert sorted(set(lcl.__all__)) == sorted(lcl.__all__), "no duplicates"
    for name in lcl.__all__:
        assert hasattr(lcl, name), name


def test_messages_are_genuine_protobuf_classes():
    entry = full_entry()
    assert isinstance(entry, message.Message)
    assert entry.DESCRIPTOR.full_name == "lokryn.compliancelog.v1.LogEntry"
    assert entry.DESCRIPTOR.file.name == "lokryn/compliancelog/v1/logentry.proto"
    other = lcl.LogEntry()
    other.CopyFrom(entry)
    assert other == entry
    assert json_format.Parse(json_format.MessageToJson(entry), lcl.LogEntry()) == entry
    assert json_format.ParseDict(json_format.MessageToDict(entry), lcl.LogEntry()) == entry
    assert copy.deepcopy(entry) == entry
    assert lcl.EventType.Name(lcl.EVENT_LOGIN) == "EVENT_LOGIN"
    assert lcl.EventType.Value("EVENT_MCP_PING") == 32


def test_messages_pickle_by_their_real_module():
    entry = full_entry()
    assert lcl.LogEntry.__module__ == "lokryn_compliance_log.v1.logentry_pb2"
    assert pickle.loads(pickle.dumps(entry)) == entry


def test_the_descriptor_is_the_one_the_core_embeds():
    proto = descriptor_pb2.FileDescriptorProto()
    logentry_pb2.DESCRIPTOR.CopyToProto(proto)
    embedded = descriptor_pb2.FileDescriptorSet.FromString(
        (ROOT / "crates/lokryn-compliance-log/src/generated/descriptor_set.binpb").read_bytes()
    )
    ours = [f for f in embedded.file if f.name == proto.name]
    assert len(ours) == 1
    assert proto == ours[0]


def test_version_and_metadata():
    meta = metadata.metadata("lokryn-compliance-log")
    assert lcl.__version__ == metadata.version("lokryn-compliance-log")
    cargo = (ROOT / "Cargo.toml").read_text()
    assert f'\nversion = "{lcl.__version__}"' in cargo, "the version comes from the workspace"
    assert meta["Requires-Python"] == ">=3.9"
    # The MCP SDK is an extra: lokryn_compliance_log.mcp imports without it.
    assert meta.get_all("Requires-Dist") == [
        "protobuf>=4.0", "mcp>=1.30,<3 ; python_full_version >= '3.10' and extra == 'mcp'"]
    assert meta.get_all("Provides-Extra") == ["mcp"]
    assert meta["License-Expression"] == "Apache-2.0"
    assert "LICENSE" in (meta.get_all("License-File") or [])
    assert {"audit", "compliance", "protobuf", "soc2"} <= set(meta["Keywords"].split(","))
    classifiers = meta.get_all("Classifier")
    assert "Topic :: Security" in classifiers and "Typing :: Typed" in classifiers
    urls = meta.get_all("Project-URL")
    assert any(u.startswith("Repository, ") for u in urls)
    assert meta["Summary"]


def test_typing_files_ship():
    package = Path(lcl.__file__).parent
    for name in ("py.typed", "_native.pyi", "v1/logentry_pb2.pyi"):
        assert (package / name).is_file(), name


def test_the_wheel_is_abi3():
    files = metadata.files("lokryn-compliance-log")
    natives = [f for f in files if f.name.startswith("_native") and f.suffix in (".so", ".pyd")]
    assert len(natives) == 1 and ".abi3." in natives[0].name, natives
    wheel = next(f for f in files if f.name == "WHEEL").read_text()
    assert "cp39-abi3" in wheel


def test_profiles():
    assert "baseline" in lcl.profiles()
    entry = full_entry()
    assert lcl.check(entry, profile="baseline") == lcl.check(entry)
    with pytest.raises(ValueError, match="unknown validation profile `nope`"):
        lcl.check(entry, profile="nope")
