"""What a submission may ask for: accelerator type names read case- and alias-tolerantly
(``h100`` -> ``H100-SXM``), and the award's terms (the job classes and accelerator types
the project was awarded for)."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence

from nacc.domain.errors import Forbidden, InputError
from nacc.domain.reasons import Code, Param, Reason
from nacc.i18n import render
from nacc.ports.store import UnitOfWork


def _norm(name: str) -> str:
    return "".join(c for c in name.upper() if c.isalnum())


def resolve_type(name: str, known: Collection[str]) -> str:
    """The known type ``name`` means: itself, the same ignoring case, '-', '_' and spaces
    (``h100_sxm``), or the one known type it begins (``H100`` -> ``H100-SXM``); else an
    ``InputError`` with the closest known name."""
    if name in known:
        return name
    key = _norm(name)
    same = [k for k in known if _norm(k) == key]
    if len(same) == 1:
        return same[0]
    prefixed = sorted(k for k in known if _norm(k).startswith(key)) if key else []
    if len(prefixed) == 1:
        return prefixed[0]
    names = sorted(known)
    close = prefixed or difflib.get_close_matches(name.upper(), names, n=1, cutoff=0) or names
    reason_params: dict[str, Param] = {
        "name": name,
        "suggestion": " | ".join(close),
        "known": ", ".join(names),
    }
    text = render(Reason.of(Code.UNKNOWN_ACCELERATOR, **reason_params), "en")
    error = InputError("accelerator_types", text, code=Code.UNKNOWN_ACCELERATOR)
    error.params = reason_params
    raise error


def resolve_types(names: Sequence[str] | None, known: Collection[str]) -> list[str] | None:
    """``names`` as known types, in order, without repeats (None: any type)."""
    if names is None:
        return None
    out: list[str] = []
    for name in names:
        found = resolve_type(name.strip(), known)
        if found not in out:
            out.append(found)
    return out


def award_terms(uow: UnitOfWork, project_id: int) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The job classes (empty: any) and accelerator types (None: any) the project's
    award allows; a project made without a proposal allows anything."""
    return uow.awards.job_terms(project_id)


def covered(allowed: Sequence[str], known: Collection[str]) -> list[str]:
    """The fleet's types an award's type names cover: the same name read tolerantly, or
    a family (``H100`` covers ``H100-SXM`` and ``H100-PCIe``); names the fleet lacks stay."""
    out = [
        k for k in sorted(known) if any(_norm(k).startswith(_norm(a)) for a in allowed if _norm(a))
    ]
    return out + [a for a in allowed if a not in out and not any(
        _norm(k).startswith(_norm(a)) for k in known)]  # fmt: skip


def within_terms(
    project_id: int,
    job_class: str,
    types: list[str] | None,
    classes: tuple[str, ...],
    allowed: tuple[str, ...] | None,
) -> list[str] | None:
    """The job's types once held to the award (``allowed``: as ``covered`` gives them):
    refused (coded) if it asks for a class or a type the award does not cover; no types
    asked = the award's types."""
    if classes and job_class not in classes:
        params = {"project": project_id, "job_class": job_class, "allowed": ", ".join(classes)}
        raise Forbidden(f"project {project_id}'s award does not cover {job_class} jobs; "
                        f"it allows: {params['allowed']}", code=Code.AWARD_CLASS_NOT_ALLOWED,
                        params=params)  # fmt: skip
    if allowed is None:
        return types
    if types is None:
        return list(allowed)
    outside = [t for t in types if t not in allowed]
    if outside:
        params = {"project": project_id, "types": ", ".join(outside),
                  "allowed": ", ".join(allowed)}  # fmt: skip
        raise Forbidden(f"project {project_id}'s award does not cover accelerator types "
                        f"{params['types']}; it allows: {params['allowed']}",
                        code=Code.AWARD_TYPES_NOT_ALLOWED, params=params)  # fmt: skip
    return types
