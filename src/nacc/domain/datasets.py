"""Datasets: a catalog entry, where its copies are, and what a job that uses it needs.

A dataset belongs to an organisation, has a size, a licence, a sensitivity and a
residency: ``domestic`` data may be kept and processed only at sites in the center's
country (``nacc.domain.pools.HOME_COUNTRY``), ``any`` data anywhere. Each copy is a path
at one site. A project uses a dataset once the owner approved its request.

What placement needs of a job's datasets is ``DataNeeds``: whether it must stay at
domestic sites, and the sites that hold its data (placement prefers them). ``env_for``
is what the job finds in its environment: ``NACC_DATASET_<NAME>`` (the name upper-case,
``-`` and ``.`` as ``_``), the path of the copy at the job's site, or of the first copy
when its site holds none, and ``NACC_DATASET_<NAME>_SITE``, the site of that copy.

Pure: no clock, no IO.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from nacc.domain.errors import InputError

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
ENV_PREFIX = "NACC_DATASET_"


class Residency(StrEnum):
    DOMESTIC = "domestic"  # only at sites in the center's country
    ANY = "any"


class Sensitivity(StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"  # licence terms limit who may use it
    PERSONAL = "personal"  # personal information (PIPA): pseudonymised at most
    CONFIDENTIAL = "confidential"


class AccessState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    REVOKED = "revoked"  # approved, then withdrawn


@dataclass(frozen=True, slots=True)
class Copy:
    site: str
    path: str


@dataclass(frozen=True, slots=True)
class DataNeeds:
    """What placement honours for a job's datasets: ``domestic_only`` (some dataset is
    domestic) and ``sites`` (those holding every dataset, else those holding any)."""

    domestic_only: bool = False
    sites: frozenset[str] = frozenset()


NO_NEEDS = DataNeeds()


def env_key(name: str) -> str:
    """``NACC_DATASET_<NAME>`` for dataset ``name``."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())


def check_copies(
    name: str, residency: Residency, copies: Sequence[Copy], domestic: Mapping[str, bool]
) -> None:
    """Every copy at a known site (``domestic``: site -> in the center's country), one
    copy per site, absolute paths; a domestic dataset's copies only at domestic sites."""
    if not copies:
        raise InputError("body.copies", f"dataset {name} needs at least one copy (site, path)")
    seen: set[str] = set()
    for i, copy in enumerate(copies):
        where = f"body.copies[{i}]"
        if copy.site not in domestic:
            known = ", ".join(sorted(domestic))
            raise InputError(f"{where}.site", f"unknown site {copy.site!r}; sites: {known}")
        if copy.site in seen:
            raise InputError(f"{where}.site", f"a second copy at {copy.site}")
        seen.add(copy.site)
        if not copy.path.startswith("/"):
            raise InputError(f"{where}.path", f"expected an absolute path; got {copy.path!r}")
        if residency is Residency.DOMESTIC and not domestic[copy.site]:
            raise InputError(
                f"{where}.site",
                f"{name} is domestic-only data; {copy.site} is not a domestic site",
            )


@dataclass(frozen=True, slots=True)
class Used:
    """A dataset as a job uses it: its name, residency and copies."""

    name: str
    residency: Residency
    copies: tuple[Copy, ...]


def needs(used: Iterable[Used]) -> DataNeeds:
    """The placement needs of a job using ``used``."""
    items = list(used)
    if not items:
        return NO_NEEDS
    holding = [frozenset(c.site for c in u.copies) for u in items]
    every = frozenset.intersection(*holding)
    sites = every if every else frozenset.union(*holding)
    return DataNeeds(any(u.residency is Residency.DOMESTIC for u in items), sites)


def env_for(used: Iterable[Used], site: str) -> dict[str, str]:
    """The job's environment for its datasets when it runs at ``site``."""
    env: dict[str, str] = {}
    for u in used:
        copy = next((c for c in u.copies if c.site == site), u.copies[0])
        key = env_key(u.name)
        env[key] = copy.path
        env[key + "_SITE"] = copy.site
    return env
