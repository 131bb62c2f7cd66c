# SPDX-License-Identifier: BSD-2-Clause
"""Helpers for test_registrar*.py (the libvmdns / vmdnsctl integration tests)."""
