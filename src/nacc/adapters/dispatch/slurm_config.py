"""The ``slurm://`` URL of the Slurm dispatcher (``slurm``): where slurmrestd is and how
pools map onto Slurm; docs/dispatch.md lists the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl

from nacc.domain.errors import InputError

_KEYS = ("user", "partition", "tag", "workdir", "attempts", "timeout", "accounts", "token_file")


@dataclass(frozen=True, slots=True)
class SlurmConfig:
    """Where slurmrestd is and how pools map onto Slurm (parsed from a ``slurm://`` URL)."""

    base_url: str
    workdir: Path
    user: str = "root"
    tag: str = "nacc"
    partition: str | None = None
    partitions: Mapping[str, str] = field(default_factory=dict)  # pool id -> partition
    gres_types: Mapping[str, str] = field(default_factory=dict)  # pool id -> GRES type
    attempts: int = 4
    timeout_s: float = 10.0
    accounts: bool = False  # submit under the project's account (slurm_accounts)
    token_file: Path | None = None  # the JWT, read again when it changes (FileToken)


def parse_url(url: SplitResult, workdir: Path | None = None) -> SlurmConfig:
    """A ``slurm://host:port?...`` URL as a config; ``InputError`` naming what is wrong."""
    where = url.geturl()
    try:
        port = url.port
    except ValueError as e:
        raise InputError(where, f"bad port: {e}") from e
    if not url.hostname or port is None:
        raise InputError(where, "expected slurm://HOST:PORT (slurmrestd's address)")
    if url.path not in ("", "/") or url.fragment:
        raise InputError(where, "no path or fragment: settings go in ?key=value")
    opts: dict[str, str] = {}
    parts: dict[str, str] = {}
    gres: dict[str, str] = {}
    for key, value in parse_qsl(url.query, keep_blank_values=True):
        if not value:
            raise InputError(where, f"{key}: empty value")
        head, _, pool = key.partition(".")
        if head == "partition" and pool:
            parts[pool] = value
        elif head == "gres" and pool:
            gres[pool] = value
        elif key in _KEYS:
            opts[key] = value
        else:
            known = ", ".join([*_KEYS, "partition.<pool>", "gres.<pool>"])
            raise InputError(where, f"{key}: unknown setting; known: {known}")
    tag = opts.get("tag", "nacc")
    if not tag.replace("-", "").replace("_", "").isalnum():
        raise InputError(where, "tag: letters, digits, '-' and '_' only")
    folder = Path(opts["workdir"]) if "workdir" in opts else workdir
    if folder is None or not folder.is_absolute():
        raise InputError(where, "workdir: an absolute folder Slurm's nodes can write "
                         "(job output goes there); give ?workdir=/abs/path")  # fmt: skip
    try:
        attempts, timeout = int(opts.get("attempts", 4)), float(opts.get("timeout", 10.0))
    except ValueError as e:
        raise InputError(where, f"attempts, timeout: expected numbers: {e}") from e
    accounts = opts.get("accounts", "0")
    if accounts not in ("0", "1"):
        raise InputError(where, f"accounts: expected 0 or 1, got {accounts!r}")
    token_file = Path(opts["token_file"]) if "token_file" in opts else None
    if token_file is not None and not token_file.is_absolute():
        raise InputError(where, "token_file: an absolute path to a file holding the JWT")
    return SlurmConfig(f"http://{url.hostname}:{port}", folder, opts.get("user", "root"), tag,
                       opts.get("partition"), parts, gres, attempts, timeout,
                       accounts == "1", token_file)  # fmt: skip
