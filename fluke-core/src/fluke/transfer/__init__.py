"""The transfer engine behind ``File.transfer_to`` and ``Dir.transfer_to``.

It works between any two backends through the backend protocol alone:
server-side copy when both ends share a copy domain, otherwise a streamed
copy in bounded chunks, with several files in flight at once, the size of
every file verified, and a per-file report. It is cut in four rooms:

* plan (``_listing``, ``_destcheck``, ``_sources``, ``_plan``): listing
  shards, destination checks, file and part tasks;
* schedule (``_schedule``): the executor seam, a thread pool by default;
* copy one file (``_copy``): server-side, streamed, or in parts;
* record (``_report``, ``_journal``): the report and the resumable journal.
"""

from fluke.transfer._execute import transfer
from fluke.transfer._journal import JournalMismatchError
from fluke.transfer._report import FileOutcome, Status, TransferReport
from fluke.transfer._schedule import CopyJob, ThreadExecutor, TransferExecutor
from fluke.transfer._sources import DirSource, PlannedFile, TransferSource

__all__ = [
    "CopyJob",
    "DirSource",
    "FileOutcome",
    "JournalMismatchError",
    "PlannedFile",
    "Status",
    "ThreadExecutor",
    "TransferExecutor",
    "TransferReport",
    "TransferSource",
    "transfer",
]
