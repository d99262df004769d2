"""Reasons as codes with parameters: why a job waits, why it ended, why a request failed.

A reason is stored and passed around as ``Reason(code, params)``; it becomes English or
Korean text only at the edge (API ``Accept-Language``, CLI ``--lang``) from the message
catalogs, so reasons can be counted, filtered and translated. Every code in ``Code`` has
a message in every catalog (a test checks it).

Parameters are plain values (str, int, float, bool) so a reason survives JSON and the
database unchanged: ``Reason.of(Code.WAITING_FOR_CAPACITY, pool="gj-h100", needed=4, free=2)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Param = str | int | float | bool


class Code(StrEnum):
    """Every reason nacc gives. Add here with its parameters in ``reason_params.PARAMS``,
    then to each catalog (``nacc/i18n/locale``); docs/reasons.md lists them
    (``python -m nacc.i18n.doc``)."""

    # lifecycle
    SUBMITTED = "submitted"
    STARTED = "started"
    COMPLETED = "completed"
    READOPTED = "readopted"
    # why a job started (a policy's start reason)
    START_HEAD_OF_QUEUE = "start_head_of_queue"
    START_PRIORITY_ORDER = "start_priority_order"
    START_BACKFILLED = "start_backfilled"
    START_BEST_SCORE = "start_best_score"
    START_LEAST_SERVICE = "start_least_service"
    START_ROUND_ALLOCATION = "start_round_allocation"
    # why a job waits (pending)
    WAITING_FOR_CAPACITY = "waiting_for_capacity"
    WAITING_AT_HEAD = "waiting_at_head"
    WAITING_FOR_PRIORITY = "waiting_for_priority"
    WAITING_FOR_SHARE = "waiting_for_share"
    WAITING_FOR_RESOURCES = "waiting_for_resources"
    WAITING_FOR_ROOM = "waiting_for_room"
    WAITING_FOR_ROUND = "waiting_for_round"
    WAITING_BELOW_CUTOFF = "waiting_below_cutoff"
    WAITING_NO_RESERVATION = "waiting_no_reservation"
    SLURM_PENDING_PRIORITY = "slurm_pending_priority"
    SLURM_PENDING_RESOURCES = "slurm_pending_resources"
    SLURM_PENDING_LIMIT = "slurm_pending_limit"
    SLURM_PENDING_PARTITION = "slurm_pending_partition"
    SLURM_PENDING_HELD = "slurm_pending_held"
    SLURM_PENDING_SCHEDULING = "slurm_pending_scheduling"
    SLURM_PENDING_OTHER = "slurm_pending_other"
    KUEUE_PENDING = "kueue_pending"
    KUEUE_INADMISSIBLE = "kueue_inadmissible"
    KUEUE_EVICTED = "kueue_evicted"
    BACKEND_DOWN = "backend_down"
    BACKEND_UNREACHABLE = "backend_unreachable"
    RESERVED = "reserved"
    RESERVED_AFTER_WAIT = "reserved_after_wait"
    WAITING_FOR_BLOCK = "waiting_for_block"
    START_ON_BLOCK = "start_on_block"
    POLICY_NOTE = "policy_note"  # free text: only in reasons stored before policies gave codes
    # why a job ended or moved
    EXIT_CODE = "exit_code"
    EXIT_CODE_WHILE_DOWN = "exit_code_while_down"
    KILLED_BY_SIGNAL = "killed_by_signal"
    TIMEOUT = "timeout"
    TIMEOUT_WHILE_DOWN = "timeout_while_down"
    CANCELLED = "cancelled"
    CANCEL_REQUESTED = "cancel_requested"
    PREEMPTED = "preempted"
    PREEMPTED_BY_LESS_SERVICE = "preempted_by_less_service"
    PREEMPTED_TO_MOVE = "preempted_to_move"
    PREEMPTED_NO_ROOM = "preempted_no_room"
    PREEMPTED_BELOW_CUTOFF = "preempted_below_cutoff"
    PREEMPTED_FOR_BLOCK = "preempted_for_block"
    REPLANNED_BACKEND_DOWN = "replanned_backend_down"
    RAN_WHILE_DOWN = "ran_while_down"
    LOST = "lost"
    LOST_WHILE_DOWN = "lost_while_down"
    LOST_AFTER_RESTART = "lost_after_restart"
    LAUNCH_FAILED = "launch_failed"
    SLURM_ENDED = "slurm_ended"
    K8S_ENDED = "k8s_ended"
    PREEMPT_UNSUPPORTED = "preempt_unsupported"
    REJECTED_NO_POOL = "rejected_no_pool"
    REJECTED_NO_DOMESTIC_POOL = "rejected_no_domestic_pool"
    # why a request failed (the ``code`` of an error and of its problem+json)
    ERROR = "error"
    INPUT_INVALID = "input_invalid"
    ALREADY_EXISTS = "already_exists"
    INVALID_REFERENCE = "invalid_reference"
    NOT_FOUND = "not_found"
    UNAUTHORIZED = "unauthorized"
    TOKEN_MISSING = "token_missing"
    TOKEN_INVALID = "token_invalid"
    TOKEN_USER_GONE = "token_user_gone"
    FORBIDDEN = "forbidden"
    ROLE_REQUIRED = "role_required"
    ROLE_REQUIRED_FOR = "role_required_for"
    CONFLICT = "conflict"
    UNKNOWN_NAME = "unknown_name"
    INVALID_TRANSITION = "invalid_transition"
    INSUFFICIENT_CREDITS = "insufficient_credits"
    OVERDRAFT_EXCEEDED = "overdraft_exceeded"
    LEDGER_ERROR = "ledger_error"
    INVALID_ENTRY = "invalid_entry"
    CAUSE_CONFLICT = "cause_conflict"
    BLOCK_CONFLICT = "block_conflict"
    REPORT_OVERDUE = "report_overdue"
    AWARD_ENDED = "award_ended"
    DATASET_ACCESS_REQUIRED = "dataset_access_required"
    DISPATCH_ERROR = "dispatch_error"
    HTTP_ERROR = "http_error"
    # identity and access (team invitations, reviews, rate limits)
    CONFLICT_OF_INTEREST_TEAM = "conflict_of_interest_team"
    CONFLICT_OF_INTEREST_ORG = "conflict_of_interest_org"
    CONFLICT_OF_INTEREST_BLIND = "conflict_of_interest_blind"
    TEAM_ALREADY_MEMBER = "team_already_member"
    TEAM_ALREADY_INVITED = "team_already_invited"
    TEAM_CLOSED = "team_closed"
    INVITATION_ANSWERED = "invitation_answered"
    INVITEE_REVIEWED = "invitee_reviewed"
    RATE_LIMITED = "rate_limited"
    # closing and editing a call (service.call_edits)
    CALL_ALREADY_CLOSED = "call_already_closed"
    CALL_NOT_YET_OPEN = "call_not_yet_open"
    CALL_DECIDED = "call_decided"
    CALL_FIELD_LOCKED = "call_field_locked"
    CALL_BUDGET_LOCKED = "call_budget_locked"
    CALL_CLOSED_DATES = "call_closed_dates"
    CALL_CLOSES_IN_PAST = "call_closes_in_past"
    # what the CLI says after an access change
    TOKEN_REVOKED = "token_revoked"
    ROLE_REVOKED = "role_revoked"
    INVITATION_STATE = "invitation_state"
    KUEUE_EXPORTED = "kueue_exported"  # nacc export kueue
    # nacc ledger verify --slurm: each charged job against slurmdbd's accounting
    SLURM_CHECK_JOB_OK = "slurm_check_job_ok"
    SLURM_CHECK_JOB_OFF = "slurm_check_job_off"
    SLURM_CHECK_NOT_ACCOUNTED = "slurm_check_not_accounted"
    SLURM_CHECK_SKIPPED = "slurm_check_skipped"
    SLURM_CHECK_OK = "slurm_check_ok"
    SLURM_CHECK_PROBLEM = "slurm_check_problem"
    # award terms and accelerator names (submissions), CLI answers
    AWARD_CLASS_NOT_ALLOWED = "award_class_not_allowed"
    AWARD_TYPES_NOT_ALLOWED = "award_types_not_allowed"
    UNKNOWN_ACCELERATOR = "unknown_accelerator"
    LEDGER_DATABASE_EMPTY = "ledger_database_empty"
    FIRST_OPERATOR = "first_operator"
    # the planner's what-if table and report (nacc plan)
    PLAN_VARIANT_BASE = "plan_variant_base"
    PLAN_VARIANT_BUDGET = "plan_variant_budget"
    PLAN_VARIANT_NPU_PRICE = "plan_variant_npu_price"
    PLAN_VARIANT_GRID_DELAY = "plan_variant_grid_delay"
    PLAN_WHATIF_TITLE = "plan_whatif_title"
    PLAN_COL_VARIANT = "plan_col_variant"
    PLAN_COL_OUTCOME = "plan_col_outcome"
    PLAN_COL_COST = "plan_col_cost"
    PLAN_COL_CHANGE = "plan_col_change"
    PLAN_COL_FLEET = "plan_col_fleet"
    PLAN_COL_DOMESTIC = "plan_col_domestic"
    PLAN_COL_BINDING = "plan_col_binding"
    PLAN_OUTCOME_FEASIBLE = "plan_outcome_feasible"
    PLAN_OUTCOME_INFEASIBLE = "plan_outcome_infeasible"
    PLAN_OUTCOME_STOPPED = "plan_outcome_stopped"
    PLAN_DOMESTIC_MET = "plan_domestic_met"
    PLAN_DOMESTIC_MISSED = "plan_domestic_missed"
    PLAN_SOLVER = "plan_solver"
    PLAN_BASIS_COUNT = "plan_basis_count"
    PLAN_BASIS_CREDITS = "plan_basis_credits"
    # the planner's explanations: a binding constraint's shadow price, a relaxation
    PLAN_BINDING_POWER = "plan_binding_power"
    PLAN_BINDING_BUDGET = "plan_binding_budget"
    PLAN_BINDING_DEMAND = "plan_binding_demand"
    PLAN_BINDING_AVAILABILITY = "plan_binding_availability"
    PLAN_BINDING_DOMESTIC = "plan_binding_domestic"
    PLAN_BINDING_OUTSIDE = "plan_binding_outside"
    PLAN_RELAX_POWER = "plan_relax_power"
    PLAN_RELAX_BUDGET = "plan_relax_budget"
    PLAN_RELAX_DEMAND = "plan_relax_demand"
    PLAN_RELAX_DOMESTIC = "plan_relax_domestic"
    PLAN_RELAX_OUTSIDE = "plan_relax_outside"
    SHARES_TITLE = "shares_title"
    # challenge tracks (entries, evaluations, quota)
    CHALLENGE_QUOTA_DAY = "challenge_quota_day"
    CHALLENGE_QUOTA_TOTAL = "challenge_quota_total"
    METRICS_NOT_JSON = "metrics_not_json"
    METRICS_TOO_LARGE = "metrics_too_large"
    METRICS_MISSING = "metrics_missing"
    METRICS_NOT_FINITE = "metrics_not_finite"
    METRICS_FILE_MISSING = "metrics_file_missing"
    EVALUATION_EXIT = "evaluation_exit"
    EVALUATION_PLATFORM = "evaluation_platform"
    EVALUATION_CANCELLED = "evaluation_cancelled"
    ENTRY_DISQUALIFIED = "entry_disqualified"
    # why a call's decision awarded a proposal or not (domain.programs.decide)
    DECISION_RANKED = "decision_ranked"
    DECISION_BUDGET_EXHAUSTED = "decision_budget_exhausted"
    DECISION_BELOW_MINIMUM = "decision_below_minimum"
    DECISION_NOT_REVIEWED = "decision_not_reviewed"
    DECISION_OVERRIDE = "decision_override"
    # why one field of a request body was refused (problem+json ``errors[].code``)
    VALUE_MISSING = "value_missing"
    VALUE_UNEXPECTED = "value_unexpected"
    VALUE_NOT_ALLOWED = "value_not_allowed"
    VALUE_NOT_INTEGER = "value_not_integer"
    VALUE_NOT_NUMBER = "value_not_number"
    VALUE_NOT_STRING = "value_not_string"
    VALUE_NOT_BOOLEAN = "value_not_boolean"
    VALUE_NOT_DATETIME = "value_not_datetime"
    VALUE_GT = "value_gt"
    VALUE_GE = "value_ge"
    VALUE_LT = "value_lt"
    VALUE_LE = "value_le"
    VALUE_TOO_SHORT = "value_too_short"
    VALUE_TOO_LONG = "value_too_long"
    VALUE_HAS_NUL = "value_has_nul"
    VALUE_NOT_MATCHING = "value_not_matching"
    BODY_NOT_JSON = "body_not_json"


@dataclass(frozen=True, slots=True)
class Reason:
    """A code and its parameters (sorted by name, so equal reasons compare equal)."""

    code: str
    params: tuple[tuple[str, Param], ...] = ()

    @classmethod
    def of(cls, code: str, /, **params: Param) -> Reason:
        return cls(str(code), tuple(sorted(params.items())))

    @property
    def args(self) -> dict[str, Param]:
        return dict(self.params)

    def get(self, name: str, default: Param | None = None) -> Param | None:
        for key, value in self.params:
            if key == name:
                return value
        return default

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        params = data.get("params") or {}
        return cls.of(str(data["code"]), **{str(k): v for k, v in params.items()})

    def __str__(self) -> str:
        """A language-neutral form for logs and tests: ``code{k=v, ...}``."""
        if not self.params:
            return self.code
        inner = ", ".join(f"{k}={v}" for k, v in self.params)
        return f"{self.code}{{{inner}}}"
