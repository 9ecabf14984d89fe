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
* ``Otlp(endpoint, *, batch_size, batch_bytes, batch_timeout,
  queue_capacity, queue_bytes, block_timeout, max_retries, max_elapsed,
  initial_backoff, max_backoff, spill_dir, spill_max_bytes, headers,
  timeout, gzip)``: OTLP/HTTP (protobuf) to an OpenTelemetry Collector
  (``http://host:4318``; ``/v1/logs`` is appended). ``log`` only queues;
  a worker thread sends batches, retrying with exponential backoff and
  jitter. A full queue spills to ``spill_dir`` when given, else waits up to
  ``block_timeout`` and then drops the record, counted in ``stats``. Times
  are in seconds; ``headers`` is a ``dict``. ``written`` in ``stats``
  counts records the collector acknowledged.
* ``Stdout()``: one line of JSON per record on standard output.

Any object with a ``write(entry)`` method (and optionally ``flush()`` and
``close()``, and a ``name``) is a sink too: it is called with each record as
a ``LogEntry``, in order, one call at a time. A sink belongs to one logger.
"""

from lokryn_compliance_log._native import Binary, JsonLines, Otlp, Stdout
from lokryn_compliance_log._native import LedgerSink as Ledger

__all__ = ["Binary", "JsonLines", "Ledger", "Otlp", "Stdout"]
