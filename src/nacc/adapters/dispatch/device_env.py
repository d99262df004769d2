"""Which environment variable hands a local job its accelerators, and with which ids.

NVIDIA GPUs: ``CUDA_VISIBLE_DEVICES`` with the machine's device indices (what the CUDA
runtime numbers). NPUs: their vendor's runtime variable with indices local to the pool
(the NPU runtime numbers its own devices from 0), and ``CUDA_VISIBLE_DEVICES`` emptied so
no GPU is visible to an NPU job:

- FuriosaAI (RNGD, Warboy): ``FURIOSA_VISIBLE_DEVICES`` — the variable Ray's Furiosa
  accelerator manager sets for device isolation (github.com/ray-project/ray pull 63035).
- Rebellions (ATOM, REBEL-Quad): ``RBLN_DEVICES`` — the variable of Ray's
  ``RBLNAcceleratorManager`` (ray/_private/accelerators/rbln.py).

(A table of names: adapters do not read the catalog; its vendors are the same.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

NPU_VARIABLES: Mapping[str, str] = {
    "RNGD": "FURIOSA_VISIBLE_DEVICES",
    "Warboy": "FURIOSA_VISIBLE_DEVICES",
    "ATOM": "RBLN_DEVICES",
    "REBEL-Quad": "RBLN_DEVICES",
}


def device_variables(
    accel_type: str, pool_devices: Sequence[str], taken: Sequence[str], gpu_variable: str
) -> dict[str, str]:
    """The variables that give a job the devices ``taken`` of a pool whose devices are
    ``pool_devices`` (in pool order)."""
    npu = NPU_VARIABLES.get(accel_type)
    if npu is None:
        return {gpu_variable: ",".join(taken)}
    local = [str(pool_devices.index(d)) if d in pool_devices else d for d in taken]
    return {npu: ",".join(local), "CUDA_VISIBLE_DEVICES": ""}
