"""The Google SDK modules fluke-gcp uses, typed as ``Any``.

google-cloud-storage and parts of google-auth ship no type information;
importing them here, once, keeps ``mypy --strict`` meaningful everywhere
else without per-line ignores. Importing this module imports the SDK.
"""

from __future__ import annotations

import importlib
from typing import Any

storage: Any = importlib.import_module("google.cloud.storage")
api_exceptions: Any = importlib.import_module("google.api_core.exceptions")
auth: Any = importlib.import_module("google.auth")
auth_credentials: Any = importlib.import_module("google.auth.credentials")
auth_exceptions: Any = importlib.import_module("google.auth.exceptions")
auth_requests: Any = importlib.import_module("google.auth.transport.requests")
oauth2_credentials: Any = importlib.import_module("google.oauth2.credentials")
service_account: Any = importlib.import_module("google.oauth2.service_account")
requests_adapters: Any = importlib.import_module("requests.adapters")
requests_exceptions: Any = importlib.import_module("requests.exceptions")
