"""`nacc export kueue --out DIR`: Kueue manifests for the pools and awards (see
``nacc.adapters.dispatch.k8s_kueue``): a center applies them with ``kubectl apply -f DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nacc import i18n
from nacc.cli.client import console, fail, language
from nacc.domain.reasons import Code, Reason

export = typer.Typer(help="Export nacc's configuration for other systems.", no_args_is_help=True)


Out = Annotated[Path, typer.Option("--out", help="folder for the YAML manifests")]
Awards = Annotated[
    Path, typer.Option("--awards", help="YAML 'awards: {PROJECT_ID: CREDITS}' (the ids jobs carry)")
]
ScenarioOpt = Annotated[Path, typer.Option("--scenario", help="the pools (a scenario YAML)")]
Namespace = Annotated[str, typer.Option("--namespace", help="the k8s:// URL's namespace")]
Resource = Annotated[
    list[str] | None,
    typer.Option("--resource", help="POOL=NAME: the resource name of a pool's accelerators"),
]


@export.command()
def kueue(out: Out, awards: Awards, scenario: ScenarioOpt, namespace: Namespace = "default",
          resource: Resource = None) -> None:  # fmt: skip
    """ResourceFlavors, ClusterQueues (a cohort per pool, quotas from the awards) and a
    LocalQueue per project and pool, as YAML files in OUT."""
    from nacc.adapters.dispatch.k8s_kueue import manifests, read_awards, write
    from nacc.cli.main import _errors
    from nacc.scenario.load import load_scenario

    with _errors():
        names: dict[str, str] = {}
        for item in resource or []:
            pool, sep, name = item.partition("=")
            if not sep or not pool or not name:
                fail("error.resource_form", value=repr(item))
            names[pool] = name
        pools = load_scenario(scenario).domain_pools()
        found = manifests(pools, read_awards(awards), namespace, names)
        paths = write(found, out)
    said = Reason.of(Code.KUEUE_EXPORTED, files=len(paths), folder=str(out),
                     queues=len(found["clusterqueues"]))  # fmt: skip
    console.print(i18n.render(said, language()), markup=False)
