"""Client commands of identity and access, over the HTTP API: tokens and roles
(revoking takes effect at the next request), team invitations, and the audit log.

``nacc token list|revoke``, ``nacc role revoke``, ``nacc invite``,
``nacc invitations``, ``nacc invitation accept|decline|withdraw``, ``nacc audit``.
Confirmations are printed in the CLI's language (``--lang``); lists as JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nacc import i18n
from nacc.cli.client import JsonOpt, _call, console, emit, fail, language
from nacc.domain.reasons import Code, Reason

token_app = typer.Typer(help="API tokens: list and revoke", no_args_is_help=True)
role_app = typer.Typer(help="roles: revoke (operators)", no_args_is_help=True)
invitation_app = typer.Typer(help="answer or withdraw a team invitation", no_args_is_help=True)

User = Annotated[int | None, typer.Option("--user", help="user id (default: yourself)")]
Role = Annotated[str, typer.Option("--role", help="operator | program_officer | reviewer | "
                                   "pi | member")]  # fmt: skip
Scope = Annotated[str, typer.Option("--scope", help="'' = everywhere, or e.g. project:3")]


def _say(code: Code, **params: Any) -> None:
    console.print(i18n.render(Reason.of(code, **params), language()), markup=False)


def _me() -> int:
    return int(_call("GET", "/me")["id"])


@token_app.command("list")
def token_list(user: User = None, as_json: JsonOpt = True) -> None:
    """Your tokens (or, for operators, another user's), without their secrets."""
    console.print_json(data=_call("GET", f"/users/{user or _me()}/tokens"))


@token_app.command("revoke")
def token_revoke(
    token: Annotated[int, typer.Argument(help="token id (nacc token list)")],
    as_json: JsonOpt = False,
) -> None:
    """Revoke a token: it stops working at once."""
    _call("DELETE", f"/tokens/{token}")
    if as_json:  # the API answers 204: the CLI says what was done
        emit({"token_id": token, "revoked": True})
        return
    _say(Code.TOKEN_REVOKED, token=token)


@role_app.command("revoke")
def role_revoke(
    user: Annotated[int, typer.Option("--user")],
    role: Role,
    scope: Scope = "",
    as_json: JsonOpt = False,
) -> None:
    """Take a role away: the user's next request no longer has it."""
    _call("DELETE", f"/users/{user}/roles/{role}", params={"scope": scope})
    if as_json:  # 204, as for tokens
        emit({"user_id": user, "role": role, "scope": scope, "revoked": True})
        return
    _say(Code.ROLE_REVOKED, roles=role, user=user, scope=scope or "*")


def invite(
    proposal: Annotated[int, typer.Option("--proposal")],
    user: Annotated[int | None, typer.Option("--user", help="invite a user by id")] = None,
    email: Annotated[str | None, typer.Option("--email", help="or by e-mail")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Invite someone to your proposal's team (they join by accepting)."""
    if (user is None) == (email is None):
        fail("error.user_or_email")
    body = {"user_id": user} if user is not None else {"email": email}
    got = _call("POST", f"/proposals/{proposal}/invitations", body)
    if as_json:
        emit(got)
        return
    _say(Code.INVITATION_STATE, invitation=got["id"], proposal=proposal, state=got["status"])


def invitations(as_json: JsonOpt = True) -> None:
    """Invitations addressed to you."""
    console.print_json(data=_call("GET", "/me/invitations"))


def _answer(invitation: int, action: str, as_json: bool) -> None:
    got = _call("POST", f"/invitations/{invitation}/{action}")
    if as_json:
        emit(got)
        return
    _say(Code.INVITATION_STATE, invitation=invitation, proposal=got["proposal_id"],
         state=got["status"])  # fmt: skip


Invitation = Annotated[int, typer.Argument(help="invitation id (nacc invitations)")]


@invitation_app.command("accept")
def invitation_accept(invitation: Invitation, as_json: JsonOpt = False) -> None:
    """Join the proposal's team."""
    _answer(invitation, "accept", as_json)


@invitation_app.command("decline")
def invitation_decline(invitation: Invitation, as_json: JsonOpt = False) -> None:
    _answer(invitation, "decline", as_json)


@invitation_app.command("withdraw")
def invitation_withdraw(invitation: Invitation, as_json: JsonOpt = False) -> None:
    """(The PI) take back a pending invitation."""
    _answer(invitation, "withdraw", as_json)


def audit(
    limit: int = 50,
    offset: int = 0,
    actor: Annotated[int | None, typer.Option("--actor", help="only this user's")] = None,
    action: Annotated[str | None, typer.Option("--action", help="e.g. token.revoke")] = None,
    as_json: JsonOpt = True,
) -> None:
    """(Operators) the audit log of privileged actions, newest first."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    params |= {"actor_id": actor} if actor is not None else {}
    params |= {"action": action} if action else {}
    console.print_json(data=_call("GET", "/audit", params=params))


def register(app: typer.Typer) -> None:
    for fn in (invite, invitations, audit):
        app.command()(fn)
    app.add_typer(token_app, name="token")
    app.add_typer(role_app, name="role")
    app.add_typer(invitation_app, name="invitation")
