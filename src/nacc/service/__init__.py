"""Use cases shared by the HTTP API and the CLI: people, programs, jobs, reports.

The service layer reaches the store only through the store port (``nacc.ports.store``):
one unit of work per use case (``Services.unit()``), repositories that return views.
``Services`` carries the store and the clock, built once by ``nacc.bootstrap``. Ledger
entries are posted by ``nacc.ledger``'s rules in ``posting``.
"""
