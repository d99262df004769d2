"""Trace-driven discrete-event simulation over the shared engine."""
