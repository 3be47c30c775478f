"""The transfer engine behind ``File.transfer_to`` and ``Dir.transfer_to``.

It works between any two backends through the backend protocol alone:
server-side copy when both ends share a copy domain, otherwise a streamed
copy in bounded chunks, with several files in flight at once, the size of
every file verified, and a per-file report.
"""

from fluke.transfer._execute import TransferSource, transfer
from fluke.transfer._report import FileOutcome, Status, TransferReport

__all__ = ["FileOutcome", "Status", "TransferReport", "TransferSource", "transfer"]
