"""The submit form: its fields, checks in the visitor's language, and errors by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nacc.domain import errors
from nacc.domain.jobs import JobClass
from nacc.i18n import render
from nacc.ledger.accounts import InsufficientCredits
from nacc.service.auth import Principal
from nacc.service.jobs import JobRequest
from nacc.web import text

CLASSES = tuple(c.value for c in JobClass)
FIELDS = ("command", "accelerators", "job_class", "time_limit_s", "accelerator_types")
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (InsufficientCredits, 402), (errors.Unauthorized, 401), (errors.Forbidden, 403),
    (errors.NotFound, 404), (errors.Conflict, 409), (errors.InputError, 422),
)  # fmt: skip


def projects_of(who: Principal) -> list[int]:
    """The projects ``who`` holds a role in (``project:N`` scopes), in id order."""
    ids = {int(scope[8:]) for _, scope in who.roles
           if scope.startswith("project:") and scope[8:].isdigit()}  # fmt: skip
    return sorted(ids)


def status_of(error: Exception) -> int:
    return next((code for cls, code in _STATUS if isinstance(error, cls)), 400)


def errors_of(error: errors.NaccError, lang: str) -> dict[str, str]:
    """A service's refusal, beside its field where it names one of the form's (``""``:
    the whole form)."""
    where = getattr(error, "where", "")
    return {where if where in FIELDS else "": render(error.reason, lang)}


@dataclass(frozen=True, slots=True)
class JobForm:
    command: str = ""
    accelerators: str = "1"
    job_class: str = "fine-tuning"
    time_limit_s: str = "600"
    accelerator_types: str = ""

    @classmethod
    def of(cls, fields: Mapping[str, str]) -> JobForm:
        return cls(**{name: fields.get(name, "").strip() for name in FIELDS})

    def types(self) -> list[str] | None:
        names = [t.strip() for t in self.accelerator_types.split(",") if t.strip()]
        return names or None

    def check(self, lang: str = "en") -> dict[str, str]:
        """Field -> message key of what is wrong (empty when the form may be sent)."""
        found: dict[str, str] = {}
        if not self.command:
            found["command"] = "form.required"
        if not _whole(self.accelerators, 1, 4096):
            found["accelerators"] = "form.accelerators_range"
        if self.job_class not in CLASSES:
            found["job_class"] = "form.job_class_unknown"
        if not _whole(self.time_limit_s, 1, 30 * 86400):
            found["time_limit_s"] = "form.time_limit_range"
        return {k: text.say(lang, v) for k, v in found.items()}

    def request(self) -> JobRequest:
        return JobRequest(command=self.command, accelerators=int(self.accelerators),
                          job_class=self.job_class, time_limit_s=int(self.time_limit_s),
                          accelerator_types=self.types())  # fmt: skip


def _whole(raw: str, low: int, high: int) -> bool:
    return raw.isdigit() and low <= int(raw) <= high
