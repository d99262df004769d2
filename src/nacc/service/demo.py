"""`nacc serve --demo`: seed a fresh database with people and tokens (programs follow)."""

from __future__ import annotations

from nacc.adapters.store import repos_people as people
from nacc.service.context import Services


def seed(svc: Services) -> list[str]:
    """Create the demo accounts once; returns lines to print (tokens are shown once)."""
    with svc.tx() as s:
        if people.list_users(s, 1, 0).total:
            return ["demo: database already has users; nothing seeded (tokens were shown once)"]
        user = people.create_user(s, "Operator", "ops@nacc.example", svc.clock())
        s.flush()
        people.grant_role(s, user.id, "operator")
        _, secret = people.create_api_token(s, user.id, svc.clock(), label="demo")
    return [f"demo token  operator  ops@nacc.example  {secret}"]
