"""Where an ``AuditLogger`` writes records.

* ``JsonLines(path, *, rotate_bytes=None, rotate_every=None,
  compress_rotated=None, durable=False)``: one line of canonical proto3 JSON
  per record, written with one ``write(2)`` and no buffering in the process,
  so a crash loses nothing ``log`` has returned; at most a partial last line,
  which readers report and skip. ``rotate_bytes`` / ``rotate_every``
  (seconds) start a new file when the current one reaches that size or age;
  ``compress_rotated`` (``"gzip"`` or ``"zstd"``) compresses the files
  rotated out; ``durable=True`` syncs the file after every record.
* ``Binary(path, ...)``: the same for length-delimited records, the format
  ``read_entries`` and ``complog`` read.
* ``Ledger(path, *, commit_every=None)``: appends to a tamper-evident ledger
  made with ``Ledger.init``, committed before ``log`` returns; with
  ``commit_every=(records, seconds)``, committed in groups (a crash may then
  lose the records of the last, uncommitted group).
* ``Otlp(endpoint, ...)``: OTLP/HTTP (protobuf) to an OpenTelemetry
  Collector, batched and retried in the background.
* ``Stdout()``: one line of JSON per record on standard output.

Any object with a ``write(entry)`` method (and optionally ``flush()`` and
``close()``, and a ``name``) is a sink too: it is called with each record as
a ``LogEntry``, in order, one call at a time. A sink belongs to one logger.
"""

from lokryn_compliance_log._native import Binary, JsonLines, Stdout
from lokryn_compliance_log._native import LedgerSink as Ledger

__all__ = ["Binary", "JsonLines", "Ledger", "Stdout"]
