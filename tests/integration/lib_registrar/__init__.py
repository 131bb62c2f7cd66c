"""Helpers for test_registrar*.py (the libvmdns / vmdnsctl integration tests)."""
