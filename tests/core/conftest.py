"""Fixtures for fluke-core's own tests (local disk, local queue)."""
