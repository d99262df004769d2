"""Use cases shared by the HTTP API and the CLI: people, programs, jobs, reports.

The service layer uses the SQL store's repository functions (``nacc.adapters.store``)
inside one transaction per use case; ``Services`` carries the session factory and the
clock, built once by ``nacc.bootstrap``.
"""
