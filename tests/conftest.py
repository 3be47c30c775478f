"""Shared by every test folder: the real local servers live in ``tests/servers.py``.

pytest puts this folder on ``sys.path`` (rootdir conftest, "prepend" import
mode), so each package's conftest can ``import servers``.
"""
