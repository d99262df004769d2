"""Proposal teams by consent over HTTP (SQLite and PostgreSQL): the PI invites by user id
or e-mail, the invitee accepts or declines; nobody's name is echoed before they accept;
only accepted members join the awarded project; a PI cannot conflict a reviewer out by
naming them; a blind call's conflict says nothing about the applicant."""

from __future__ import annotations

from test_api_programs import (  # the programs world: its fixture and helpers
    World,
    accept,
    assert_problem,
    open_call,
    proposal,
    review,
    world,
)

__all__ = ["world"]  # the fixture, used by name


def _invitations(w: World, login: str) -> list[dict[str, object]]:
    got: list[dict[str, object]] = w.ok("GET", "/me/invitations", login)
    return got


def test_the_team_is_joined_by_consent_and_only_members_are_awarded(world: World) -> None:
    w = world
    cid = open_call(w)["id"]
    made = w.ok("POST", f"/calls/{cid}/proposals", "a1", proposal("A", 100, [w.ids["a2"]]), 201)
    a = made["id"]
    assert [m["name"] for m in made["team"]] == ["A1"] and "A2" not in str(made)  # invited only
    url = f"/proposals/{a}/invitations"
    by_id = w.ok("POST", url, "a1", {"user_id": w.ids["b1"]}, 201)
    assert (by_id["user_id"], by_id["status"], by_id["email"]) == (w.ids["b1"], "pending", None)
    assert "B1" not in str(by_id)  # no name of someone the PI may not list
    by_mail = w.ok("POST", url, "a1", {"email": "G1@example.kr"}, 201)
    assert by_mail["email"] == "g1@example.kr" and by_mail["user_id"] is None
    twice = assert_problem(w.call("POST", url, "a1", {"user_id": w.ids["b1"]}), 409)
    assert twice["code"] == "team_already_invited"
    both = assert_problem(w.call("POST", url, "a1", {"user_id": 1, "email": "x@y.z"}), 422)
    assert both["errors"][0]["field"] == "body"
    assert_problem(w.call("POST", url, "a1", {"user_id": 10**6}), 422, "no user with id")
    assert_problem(w.call("POST", url, "a1", {"email": "g\u00001@example.kr"}), 422)
    assert_problem(w.call("POST", url, "a1", {"user_id": 2**40}), 422)
    assert_problem(w.call("POST", url, "b1", {"user_id": w.ids["g1"]}), 404, "no proposal")
    listed = w.ok("GET", url, "a1")
    assert [i["status"] for i in listed] == ["pending"] * 3
    assert not {"A2", "B1", "G1"} & set(str(listed).split("'"))
    assert w.ok("GET", url, "officer") == listed
    assert_problem(w.call("GET", url, "b1"), 404)

    [mine] = _invitations(w, "b1")
    assert (mine["proposal_title"], mine["pi_name"]) == ("A", "A1")
    assert_problem(w.call("POST", f"/invitations/{mine['id']}/accept", "g1"), 404)
    assert w.ok("POST", f"/invitations/{mine['id']}/decline", "b1")["status"] == "declined"
    late = assert_problem(w.call("POST", f"/invitations/{mine['id']}/accept", "b1"), 409)
    assert late["code"] == "invitation_answered" and late["params"]["state"] == "declined"
    assert [i["id"] for i in _invitations(w, "g1")] == [by_mail["id"]]  # waits for g1's e-mail
    accept(w, "a2", a)
    assert [m["name"] for m in w.ok("GET", f"/proposals/{a}", "a1")["team"]] == ["A1", "A2"]
    assert w.ok("GET", f"/proposals/{a}", "a2")["title"] == "A"  # a member now reads it

    w.clock.advance(minutes=61)  # the call has closed: no more invitations
    closed = assert_problem(w.call("POST", url, "a1", {"user_id": w.ids["b1"]}), 409)
    assert closed["code"] == "team_closed"
    overrides = {str(a): {"award": True, "reason": "consent test"}}
    [decision] = w.ok("POST", f"/calls/{cid}/decisions", "officer", {"overrides": overrides}, 201)
    members = w.ok("GET", f"/projects/{decision['project_id']}", "a2")["members"]
    assert [(m["user"]["name"], m["role"]) for m in members] == [("A1", "pi"), ("A2", "member")]
    assert_problem(w.call("GET", f"/projects/{decision['project_id']}", "g1"), 404)
    after = assert_problem(w.call("POST", f"/invitations/{by_mail['id']}/accept", "g1"), 409)
    assert after["code"] == "team_closed"


def test_the_pi_withdraws_a_pending_invitation(world: World) -> None:
    w = world
    cid = open_call(w)["id"]
    a = w.ok("POST", f"/calls/{cid}/proposals", "a1", proposal("A", 100, [w.ids["b1"]]), 201)
    [inv] = _invitations(w, "b1")
    assert_problem(w.call("POST", f"/invitations/{inv['id']}/withdraw", "b1"), 404)
    assert w.ok("POST", f"/invitations/{inv['id']}/withdraw", "a1")["status"] == "withdrawn"
    assert_problem(w.call("POST", f"/invitations/{inv['id']}/accept", "b1"), 409)
    assert w.ok("GET", f"/proposals/{a['id']}", "a1")["team"] == [{"id": w.ids["a1"],
                                                                   "name": "A1"}]  # fmt: skip
    actions = [e["action"] for e in w.ok("GET", "/audit?limit=3", "operator")["items"]]
    assert actions == ["team.withdraw", "team.invite", "call.open"]


def test_a_pi_cannot_conflict_a_reviewer_out_through_the_team(world: World) -> None:
    w = world
    cid = open_call(w, review_opens_at=w.clock.now.isoformat())["id"]
    for reviewer in ("r1", "r3"):
        w.ok("POST", f"/calls/{cid}/reviewers", "officer", {"user_id": w.ids[reviewer]}, 201)
    a = w.ok("POST", f"/calls/{cid}/proposals", "a1", proposal("A", 100, [w.ids["r1"]]),
             201)["id"]  # fmt: skip
    # r1 was named, never agreed: not on the team, so free to review
    assert review(w, "r1", a, 4, 4).status_code == 201
    [inv] = _invitations(w, "r1")
    refused = assert_problem(w.call("POST", f"/invitations/{inv['id']}/accept", "r1"), 409)
    assert refused["code"] == "invitee_reviewed"
    # a reviewer who does accept is a member, and in conflict
    b = w.ok("POST", f"/calls/{cid}/proposals", "b1", proposal("B", 100, [w.ids["r3"]]),
             201)["id"]  # fmt: skip
    accept(w, "r3", b)
    conflict = assert_problem(review(w, "r3", b, 5, 5), 403, "member of the applying team")
    assert conflict["code"] == "conflict_of_interest_team"


def test_a_blind_calls_conflict_reveals_nothing_about_the_applicant(world: World) -> None:
    w = world
    cid = open_call(w, blind=True, review_opens_at=w.clock.now.isoformat())["id"]
    w.ok("POST", f"/calls/{cid}/reviewers", "officer", {"user_id": w.ids["r2"]}, 201)
    a = w.ok("POST", f"/calls/{cid}/proposals", "a1", proposal("A", 100), 201)["id"]
    for lang in ("en", "ko"):
        r = w.api.client.post(f"/proposals/{a}/reviews", json={"scores": {"novelty": 5,
                              "feasibility": 5}}, headers=w.api.as_(w.tokens["r2"]) | {
                              "Accept-Language": lang})  # fmt: skip
        body = assert_problem(r, 403)
        assert body["code"] == "conflict_of_interest_blind"
        assert body["params"] == {"name": "R2", "proposal": a}
        for secret in ("organisation", "Uni A", "team", "A1", "기관", "팀"):
            assert secret not in body["detail"], (lang, body["detail"])
    assert w.ok("GET", f"/proposals/{a}", "officer")["reviews"] == 0
