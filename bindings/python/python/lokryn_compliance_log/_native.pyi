# Type stubs of the native module (bindings/python/src). Import these names
# from `lokryn_compliance_log`, not from here.

from os import PathLike
from types import TracebackType
from typing import Any, Dict, Iterable, Iterator, List, Literal, Optional, Protocol, Sequence, Tuple, Type, TypeVar, Union, final, overload

from google.protobuf.message import Message

from lokryn_compliance_log.v1.logentry_pb2 import LogEntry

__version__: str

__all__ = [
    "AuditEngine",
    "Binary",
    "ComplianceLogError",
    "DecodeError",
    "EntryReader",
    "EngineOperation",
    "EntryWriter",
    "Finding",
    "JsonError",
    "JsonLines",
    "Ledger",
    "LedgerError",
    "LedgerSink",
    "LoggerError",
    "Otlp",
    "Redaction",
    "Stdout",
    "ValidationError",
    "ValidationReport",
    "Violation",
    "check",
    "check_many",
    "export_ecs",
    "export_ocsf",
    "export_otlp",
    "find_sensitive",
    "from_json",
    "import_lokryn_0_2",
    "import_ocsf",
    "is_valid",
    "profiles",
    "read_entries",
    "redact",
    "redact_text",
    "render_report_html",
    "report",
    "scan_text",
    "to_json",
    "to_json_many",
    "validate",
    "write_entries",
    "__version__",
]

# An entry argument: a LogEntry message (of this package, or of any class
# whose descriptor is lokryn.compliancelog.v1.LogEntry) or its serialized bytes.
_Entry = Union[LogEntry, Message, bytes, bytearray]

# A profile argument: "baseline", "soc2", "hipaa", "pci", several joined by
# commas ("soc2,pci"), or a sequence of names. baseline always applies.
_Profile = Union[str, Iterable[str], None]

class _ReadableFile(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

class _WritableFile(Protocol):
    def write(self, data: bytes, /) -> Optional[int]: ...

_Path = Union[str, "PathLike[str]"]

class ComplianceLogError(ValueError):
    """Base class of the package's errors: input that is not a valid entry."""

    code: Optional[str]
    """The core's stable error code: "DECODE", "TRUNCATED", "LENGTH_PREFIX",
    "TOO_LARGE", "JSON", "JSON_VALUE" or "VALIDATION"."""
    index: Optional[int]
    """0-based index of the entry in its file or batch."""
    offset: Optional[int]
    """Byte offset of the entry in its file."""
    line: Optional[int]
    """1-based line, for JSON input."""
    column: Optional[int]
    """1-based column, for JSON input."""
    field: Optional[str]
    """JSON path of the offending field ("delegationChain[0].actorType"), when one is to blame."""

class DecodeError(ComplianceLogError):
    """Bytes that are not a valid LogEntry, or a broken file of entries."""

class JsonError(ComplianceLogError):
    """JSON text that is not a valid LogEntry, or a value JSON cannot express."""

class ValidationError(ComplianceLogError):
    """An entry that is not fit for an audit trail."""

    violations: Tuple[Violation, ...]
    """Every violation found, errors and warnings, in field order."""
    report: ValidationReport
    """The full report."""

@final
class Violation:
    """One rule an entry breaks."""

    @property
    def field(self) -> str:
        """The field as a JSON path ("actorId", "delegationChain[1].actorType"); "" for the whole entry."""
    @property
    def rule_id(self) -> str:
        """The stable id of the rule, such as "required" or "enum.defined_only"."""
    @property
    def message(self) -> str:
        """What is wrong, for a human. Never contains the field's value."""
    @property
    def level(self) -> Literal["error", "warning"]:
        """"error": the entry is not fit for an audit trail; "warning": worth fixing."""
    @property
    def clauses(self) -> Tuple[str, ...]:
        """The compliance clauses the rule serves, such as "PCI DSS v4.0 10.2.2"."""

@final
class ValidationReport:
    """What validating one entry found."""

    @property
    def valid(self) -> bool:
        """True when no violation is an error (warnings are allowed)."""
    @property
    def violations(self) -> Tuple[Violation, ...]:
        """Every violation, errors and warnings, in field order."""
    @property
    def errors(self) -> Tuple[Violation, ...]:
        """The violations at level "error"."""
    @property
    def warnings(self) -> Tuple[Violation, ...]:
        """The violations at level "warning"."""
    @property
    def findings(self) -> Tuple[Finding, ...]:
        """The sensitive data the profiles' rules found (each also a violation); empty under baseline."""
    @property
    def error(self) -> Optional[ComplianceLogError]:
        """None; or, for an entry of check_many that could not be decoded, the error (code, index)."""

@final
class Finding:
    """Something sensitive in an entry or a text: what, where, how sure; never the data itself."""

    @property
    def kind(self) -> Literal[
        "card_number", "us_ssn", "email", "phone_number", "aws_access_key",
        "private_key", "jwt", "bearer_token", "api_key", "credential",
    ]:
        """What was found."""
    @property
    def field(self) -> str:
        """The field's JSON path, continued into the payload ("payload.card.number"); "" for text."""
    @property
    def start(self) -> int:
        """Byte offset of the first byte within the field's value (the payload's bytes for payload paths)."""
    @property
    def end(self) -> int:
        """Byte offset after the last byte."""
    @property
    def confidence(self) -> Literal["high", "medium"]:
        """"high" when verified (checksum, issuer range, vendor prefix), else "medium"."""

@final
class Redaction:
    """A redacted copy of an entry and what was replaced."""

    @property
    def entry(self) -> LogEntry:
        """The redacted copy (the entry passed in is not changed)."""
    @property
    def findings(self) -> Tuple[Finding, ...]:
        """What was replaced, with spans in the original entry."""

def find_sensitive(entry: _Entry) -> Tuple[Finding, ...]:
    """The sensitive data in every searched field of the entry (all kinds, any profile)."""

def scan_text(text: str) -> Tuple[Finding, ...]:
    """The sensitive data in one piece of text (findings with field "")."""

def redact(entry: _Entry, *, key: Union[bytes, str, None] = None) -> Redaction:
    """A copy with cards truncated to 6 + 4 digits and the rest replaced by markers (keyed HMAC tokens with key)."""

def redact_text(text: str, *, key: Union[bytes, str, None] = None) -> str:
    """One piece of text redacted as redact() redacts a string field."""

def export_ocsf(entry: _Entry, observed_time_ns: Optional[int] = None, log_name: Optional[str] = None) -> str:
    """The entry as an OCSF 1.7.0 event, JSON text (lokryn_compliance_log.export.to_ocsf parses it)."""

def export_ecs(entry: _Entry) -> str:
    """The entry as an ECS 9.x document, JSON text."""

def export_otlp(entries_in: Iterable[_Entry], json: bool, observed_time_ns: Optional[int] = None) -> Union[str, bytes]:
    """The entries as one ExportLogsServiceRequest: OTLP/JSON text when json, protobuf bytes otherwise."""

def report(
    source: Union[_Path, Iterable[_Entry]],
    profiles: List[str],
    since: Optional[str],
    until: Optional[str],
    key: Optional[str],
    html: bool,
) -> str:
    """The evidence report of a ledger directory or of entries, as JSON text (the HTML page when html).

    lokryn_compliance_log.report parses it."""

def render_report_html(data: str) -> str:
    """Report data (JSON text) rendered as the HTML page complog report writes."""

def import_ocsf(event: str) -> LogEntry:
    """The entry an OCSF event exported by this package came from."""

def import_lokryn_0_2(data: Union[str, bytes], framing: str = "auto") -> List[LogEntry]:
    """Entries from records of the vendor's 0.2.0 package (JSON, JSON Lines or binary)."""

def to_json(entry: _Entry) -> str:
    """The entry as canonical proto3 JSON: the JSON value json_format.MessageToJson gives, compact."""

def to_json_many(entries: Iterable[_Entry]) -> List[str]:
    """to_json for many entries in one call."""

def from_json(
    text: Union[str, bytes], *, ignore_unknown_fields: bool = False, max_entry_bytes: Optional[int] = None
) -> LogEntry:
    """A LogEntry read from proto3 JSON (any form the mapping allows; a key given twice is refused)."""

def validate(entry: _Entry, *, profile: _Profile = None, max_entry_bytes: Optional[int] = None) -> ValidationReport:
    """Raises ValidationError (code "INVALID") if the entry breaks a rule at level "error"; else returns the report."""

def check(entry: _Entry, *, profile: _Profile = None, max_entry_bytes: Optional[int] = None) -> ValidationReport:
    """The validation report of the entry, valid or not."""

def is_valid(entry: _Entry, *, profile: _Profile = None, max_entry_bytes: Optional[int] = None) -> bool:
    """True when the entry breaks no rule at level "error"."""

def check_many(
    entries: Iterable[_Entry], *, profile: _Profile = None, max_entry_bytes: Optional[int] = None
) -> List[ValidationReport]:
    """One report per entry, in order, in one call (the work runs without the GIL).

    An entry that cannot be decoded gets a report that is not valid, whose error says why.
    """

def profiles() -> Tuple[str, ...]:
    """The names of the validation profiles this version knows."""

_Item = TypeVar("_Item", LogEntry, bytes)
_Source = Union[_Path, bytes, _ReadableFile]

@final
class EntryReader(Iterator[_Item]):
    """Reads entries lazily from a path, bytes or binary file object.

    Yields LogEntry messages, or each entry's serialized bytes with raw=True.
    """

    @overload
    def __new__(
        cls,
        source: _Source,
        *,
        format: Literal["binary", "jsonl"] = "binary",
        raw: Literal[False] = False,
        max_entry_bytes: Optional[int] = None,
        ignore_unknown_fields: bool = False,
    ) -> EntryReader[LogEntry]: ...
    @overload
    def __new__(
        cls,
        source: _Source,
        *,
        format: Literal["binary", "jsonl"] = "binary",
        raw: Literal[True],
        max_entry_bytes: Optional[int] = None,
        ignore_unknown_fields: bool = False,
    ) -> EntryReader[bytes]: ...
    def __iter__(self) -> EntryReader[_Item]: ...
    def __next__(self) -> _Item: ...
    @property
    def count(self) -> int:
        """How many entries have been yielded so far."""
    @property
    def position(self) -> int:
        """How many bytes of the source have been consumed so far (decompressed, for compressed input)."""
    def close(self) -> None:
        """Closes the file the reader opened (a file object passed in stays open)."""
    def __enter__(self) -> EntryReader[_Item]: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@overload
def read_entries(
    source: _Source,
    *,
    format: Literal["binary", "jsonl"] = "binary",
    raw: Literal[False] = False,
    max_entry_bytes: Optional[int] = None,
    ignore_unknown_fields: bool = False,
) -> EntryReader[LogEntry]: ...
@overload
def read_entries(
    source: _Source,
    *,
    format: Literal["binary", "jsonl"] = "binary",
    raw: Literal[True],
    max_entry_bytes: Optional[int] = None,
    ignore_unknown_fields: bool = False,
) -> EntryReader[bytes]:
    """Reads entries lazily; the same as EntryReader(source, ...). With raw=True it yields bytes.

    gzip or zstd input is decompressed as it is read, told by its first bytes.
    """

@final
class EntryWriter:
    """Writes length-delimited entries to a path or binary file object.

    A path ending in ``.gz`` or ``.zst`` is written compressed.
    """

    def __new__(
        cls, target: Union[_Path, _WritableFile], *, append: bool = False, max_entry_bytes: Optional[int] = None
    ) -> EntryWriter: ...
    def write(self, entry: _Entry) -> None:
        """Writes one entry; an entry over max_entry_bytes is refused (TOO_LARGE) and nothing is written."""
    def write_many(self, entries: Iterable[_Entry]) -> int:
        """Writes every entry of an iterable; returns how many."""
    @property
    def count(self) -> int:
        """How many entries have been written."""
    def flush(self) -> None: ...
    def close(self) -> None:
        """Flushes, and closes the file the writer opened."""
    def __enter__(self) -> EntryWriter: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

def write_entries(
    target: Union[_Path, _WritableFile],
    entries: Iterable[_Entry],
    *,
    append: bool = False,
    max_entry_bytes: Optional[int] = None,
) -> int:
    """Writes every entry to target; returns how many."""

class LedgerError(ComplianceLogError):
    """A ledger that cannot be opened, written or verified, or a proof that
    does not check. ``code`` is the ledger's code (``"TAMPERED"``,
    ``"LOCKED"``, ``"UNVERIFIED"``, ...); ``index`` and ``offset`` locate an
    entry when the problem is one."""

    code: Optional[str]
    index: Optional[int]
    offset: Optional[int]

@final
class Ledger:
    """A tamper-evident ledger (RFC 6962 Merkle tree, C2SP signed
    checkpoints and tiles; see docs/ledger.md). Reading needs no lock; the
    first ``append`` takes the writer's lock until ``close``."""

    def __new__(cls, path: _Path, *, allow_invalid: bool = False, redact: bool = False) -> Ledger: ...
    @staticmethod
    def init(path: _Path, key_file: _Path, *, profiles: Sequence[str] = ...) -> Ledger:
        """Creates a ledger signed by the private key in ``key_file``."""
    @staticmethod
    def keygen(name: str) -> Tuple[str, str]:
        """A new Ed25519 key pair: (private key line, public key line)."""
    def append(self, entries: Iterable[_Entry]) -> range:
        """Appends with one commit; returns the indices once durable."""
    @property
    def size(self) -> int:
        """Entries in the latest checkpoint."""
    def checkpoint(self) -> str:
        """The latest signed checkpoint."""
    def verify(self, key: Optional[str] = None) -> Dict[str, Any]:
        """Checks every entry, tile and checkpoint; raises LedgerError naming the first problem."""
    def prove(self, index: int, size: Optional[int] = None) -> str:
        """The inclusion proof of entry ``index``, as JSON."""
    def prove_consistency(self, size1: int, size2: Optional[int] = None) -> str:
        """The consistency proof between two tree sizes, as JSON."""
    def read(
        self,
        *,
        since: Optional[str] = None,
        until: Optional[str] = None,
        actor: Optional[str] = None,
        event_type: Optional[int] = None,
        outcome: Optional[int] = None,
        component: Optional[str] = None,
        resource: Optional[str] = None,
    ) -> List[LogEntry]:
        """The entries matching every given filter, in index order."""
    def close(self) -> None:
        """Releases the writer's lock."""
    @staticmethod
    def check_proof(proof: str, checkpoints: Sequence[str], key: str, entry: Optional[_Entry] = None) -> Dict[str, Any]:
        """Checks a proof offline against one (inclusion) or two (consistency)
        signed checkpoints and the public key; raises LedgerError if it does not check."""

class LoggerError(ComplianceLogError):
    """The audit logger could not write, flush or close. ``code`` is the
    engine's code (``"SINK"``, ``"CLOSED"``, ``"CONFIG"``, ``"TIMEOUT"``,
    ``"IO"``, ...); ``sink`` names the failed sinks (joined by ``", "``).
    A Python sink's own exception is the ``__cause__``."""

    sink: Optional[str]

@final
class JsonLines:
    """A JSON Lines file sink (see ``lokryn_compliance_log.sinks``)."""

    def __new__(
        cls,
        path: _Path,
        *,
        rotate_bytes: Optional[int] = None,
        rotate_every: Optional[float] = None,
        compress_rotated: Optional[Literal["gzip", "zstd"]] = None,
        durable: bool = False,
    ) -> JsonLines: ...
    @property
    def name(self) -> str:
        """The sink's name in errors and stats."""

@final
class Binary:
    """A sink writing a file of length-delimited records (see ``lokryn_compliance_log.sinks``)."""

    def __new__(
        cls,
        path: _Path,
        *,
        rotate_bytes: Optional[int] = None,
        rotate_every: Optional[float] = None,
        compress_rotated: Optional[Literal["gzip", "zstd"]] = None,
        durable: bool = False,
    ) -> Binary: ...
    @property
    def name(self) -> str:
        """The sink's name in errors and stats."""

@final
class LedgerSink:
    """A ledger sink, ``lokryn_compliance_log.sinks.Ledger``."""

    def __new__(cls, path: _Path, *, commit_every: Optional[Tuple[int, float]] = None) -> LedgerSink: ...
    @property
    def name(self) -> str:
        """The sink's name in errors and stats."""

@final
class Otlp:
    """OTLP/HTTP (protobuf) to an OpenTelemetry Collector (see ``lokryn_compliance_log.sinks``)."""

    def __new__(
        cls,
        endpoint: str,
        *,
        batch_size: Optional[int] = None,
        batch_bytes: Optional[int] = None,
        batch_timeout: Optional[float] = None,
        queue_capacity: Optional[int] = None,
        queue_bytes: Optional[int] = None,
        block_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_elapsed: Optional[float] = None,
        initial_backoff: Optional[float] = None,
        max_backoff: Optional[float] = None,
        spill_dir: Optional[_Path] = None,
        spill_max_bytes: Optional[int] = None,
        headers: Optional[Dict[str, str]] = None,
        timeout: Optional[float] = None,
        gzip: bool = False,
    ) -> Otlp: ...
    @property
    def name(self) -> str:
        """The sink's name in errors and stats."""

@final
class Stdout:
    """Standard output as JSON Lines."""

    def __new__(cls) -> Stdout: ...
    @property
    def name(self) -> str:
        """The sink's name in errors and stats."""

_StatsTuple = Tuple[int, int, int, List[Tuple[str, int, int, int, int, int]]]

@final
class AuditEngine:
    """The engine of ``AuditLogger`` (use that class)."""

    def __new__(
        cls,
        sinks: Sequence[Any],
        *,
        profiles: Sequence[str],
        on_invalid: Optional[str] = None,
        quarantine: Any = None,
        redact: Union[bool, bytes, None] = None,
        defaults: Optional[_Entry] = None,
        producer: Optional[Tuple[str, str]] = None,
        on_warning: Optional[Any] = None,
    ) -> AuditEngine: ...
    def log(self, entry: _Entry) -> LogEntry: ...
    def operation(self, event_type: int, template: _Entry) -> EngineOperation: ...
    def flush(self, timeout: Optional[float] = None) -> None: ...
    def close(self, timeout: Optional[float] = None) -> None: ...
    @property
    def closed(self) -> bool: ...
    def stats(self) -> _StatsTuple: ...

@final
class EngineOperation:
    """A timed operation of ``AuditEngine``, finished once."""

    def finish(self, outcome: int, error_code: str = "", error_message: str = "", extra: Optional[_Entry] = None) -> LogEntry: ...
