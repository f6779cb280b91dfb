"""Why a verification ended as it did: the words the worker writes and the site's choices are made of."""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    """How a scenario run ended. ERROR is never the example's fault: its row waits and is retried."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


class FailureReason(enum.StrEnum):
    # The example's fault: final, never retried.
    NONE = ""
    BUILD_FAILED = "BUILD_FAILED"
    CHECK_FAILED = "CHECK_FAILED"
    BUILD_TIMEOUT = "BUILD_TIMEOUT"
    RUN_TIMEOUT = "RUN_TIMEOUT"
    OOM = "OOM"
    OUTPUT_LIMIT = "OUTPUT_LIMIT"
    INVALID_DOCKERFILE = "INVALID_DOCKERFILE"
    POLICY_REJECTED = "POLICY_REJECTED"
    HOST_ACCESS_DISABLED = "HOST_ACCESS_DISABLED"
    COMMAND_FAILED = "COMMAND_FAILED"
    # Not the example's fault: the row waits and is retried. Rows of older versions may carry it.
    INFRA = "INFRA"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    FailureReason.NONE: "None",
    FailureReason.BUILD_FAILED: "The build failed",
    FailureReason.CHECK_FAILED: "A check failed",
    FailureReason.BUILD_TIMEOUT: "The build ran out of time",
    FailureReason.RUN_TIMEOUT: "A step ran out of time",
    FailureReason.OOM: "Out of memory",
    FailureReason.OUTPUT_LIMIT: "Too much output",
    FailureReason.INVALID_DOCKERFILE: "The Dockerfile is invalid",
    FailureReason.POLICY_REJECTED: "Refused by the sandbox policy",
    FailureReason.HOST_ACCESS_DISABLED: "Needs host access, which this worker does not allow",
    FailureReason.COMMAND_FAILED: "A command on the page did not do what it says",
    FailureReason.INFRA: "Infrastructure error",
}
