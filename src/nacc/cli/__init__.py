"""Typer command-line interface (thin: parse, call the application layer, print)."""
