"""Dispatch backends keyed by URL scheme."""
