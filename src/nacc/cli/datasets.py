"""``nacc dataset add|list|show|request|requests|approve|refuse|revoke``: the dataset catalog
over the HTTP API. Answers print as JSON; refusals in the CLI's language."""

from __future__ import annotations

from typing import Annotated

import typer

from nacc.cli.client import JsonOpt, _call, console, fail

dataset_app = typer.Typer(help="datasets: catalog, access requests, decisions",
                          no_args_is_help=True)  # fmt: skip


def _copies(items: list[str]) -> list[dict[str, str]]:
    out = []
    for item in items:
        site, sep, path = item.partition("=")
        if not sep or not site or not path:
            fail("error.copy_pair", item=repr(item))
        out.append({"site": site, "path": path})
    return out


@dataset_app.command("add")
def add(
    name: Annotated[str, typer.Option("--name", help="e.g. kor-med (lower case)")],
    owner: Annotated[int, typer.Option("--owner", help="owner organisation id")],
    size: Annotated[int, typer.Option("--size-bytes", help="size in bytes")],
    licence: Annotated[str, typer.Option("--licence", help="SPDX id or name")],
    copy: Annotated[list[str], typer.Option("--copy", help="SITE=/PATH (repeat)")],
    residency: Annotated[str, typer.Option("--residency", help="domestic | any")] = "any",
    sensitivity: Annotated[
        str, typer.Option("--sensitivity", help="public | restricted | personal | confidential")
    ] = "public",
    steward: Annotated[
        list[int] | None, typer.Option("--steward", help="user id deciding access (repeat)")
    ] = None,
    description: Annotated[str, typer.Option("--description")] = "",
    as_json: JsonOpt = True,
) -> None:  # fmt: skip
    """Register a dataset; prints it as JSON."""
    body = {"name": name, "owner_org_id": owner, "size_bytes": size, "licence": licence,
            "residency": residency, "sensitivity": sensitivity, "copies": _copies(copy),
            "stewards": steward or [], "description": description}  # fmt: skip
    console.print_json(data=_call("POST", "/datasets", body))


@dataset_app.command("list")
def listed(as_json: JsonOpt = True) -> None:
    """The catalog by name, as JSON."""
    console.print_json(data=_call("GET", "/datasets"))


@dataset_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="dataset name")], as_json: JsonOpt = True
) -> None:
    console.print_json(data=_call("GET", f"/datasets/{name}"))


@dataset_app.command("request")
def request(
    name: Annotated[str, typer.Argument(help="dataset name")],
    project: Annotated[int, typer.Option("--project", help="project id")],
    purpose: Annotated[str, typer.Option("--purpose")] = "",
    as_json: JsonOpt = True,
) -> None:
    """Ask for a project's access to a dataset."""
    body = {"project_id": project, "purpose": purpose}
    console.print_json(data=_call("POST", f"/datasets/{name}/access", body))


@dataset_app.command("requests")
def requests(
    name: Annotated[str, typer.Argument(help="dataset name")], as_json: JsonOpt = True
) -> None:
    """Access requests for a dataset (stewards: all; others: their projects')."""
    console.print_json(data=_call("GET", f"/datasets/{name}/access"))


@dataset_app.command("approve")
def approve(
    name: Annotated[str, typer.Argument(help="dataset name")],
    request_id: Annotated[int, typer.Argument(help="request id (nacc dataset requests)")],
    as_json: JsonOpt = True,
) -> None:
    console.print_json(data=_call("POST", f"/datasets/{name}/access/{request_id}/approve"))


@dataset_app.command("refuse")
def refuse(
    name: Annotated[str, typer.Argument(help="dataset name")],
    request_id: Annotated[int, typer.Argument(help="request id (nacc dataset requests)")],
    reason: Annotated[str, typer.Option("--reason", help="why (required)")],
    as_json: JsonOpt = True,
) -> None:
    body = {"reason": reason}
    console.print_json(data=_call("POST", f"/datasets/{name}/access/{request_id}/refuse", body))


@dataset_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="dataset name")],
    request_id: Annotated[int, typer.Argument(help="an approved request (nacc dataset requests)")],
    reason: Annotated[str, typer.Option("--reason", help="why (required)")],
    as_json: JsonOpt = True,
) -> None:
    """Withdraw an approval: the project's new jobs naming the dataset are refused."""
    body = {"reason": reason}
    console.print_json(data=_call("POST", f"/datasets/{name}/access/{request_id}/revoke", body))


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")
