"""The one place where built-in policies are listed."""

from __future__ import annotations

from nacc.scheduling.policies.fifo import make_fifo
from nacc.scheduling.policies.gavel import make_gavel
from nacc.scheduling.policies.las import make_las
from nacc.scheduling.policies.nacc import make_nacc
from nacc.scheduling.policies.slurm import make_slurm
from nacc.scheduling.policy import Registry


def builtin_policies() -> Registry:
    """A registry holding every built-in policy (a new one per call: no global state)."""
    reg = Registry("policy")
    reg.register("fifo", make_fifo)
    reg.register("slurm", make_slurm)
    reg.register("las", make_las)
    reg.register("gavel", make_gavel)
    reg.register("nacc", make_nacc)
    return reg
