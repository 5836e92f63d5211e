"""The Tasker step-handler contract in Python (docs/handlers.md, schemas/*.schema.json).

A step is one Temporal activity: the activity name is the step's handler callable, its single
argument the StepRequest (a dict with snake_case keys), its return value the StepResult dict
{"results": ..., "metadata": {...}}. Keep the keys as they are: never camelize them on the way back.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, Optional

from temporalio import activity
from temporalio.exceptions import ApplicationError

PERMANENT_ERROR = "PermanentError"
RETRYABLE_ERROR = "RetryableError"
PROBE_KEY = "conformance_probe"

StepRequest = Dict[str, Any]
StepResult = Dict[str, Any]
Handler = Callable[[StepRequest], Awaitable[Any]]


def permanent_error(message: str) -> ApplicationError:
    """Fails the step at once: no further attempts."""
    return ApplicationError(message, type=PERMANENT_ERROR, non_retryable=True)


def retryable_error(message: str, retry_after_seconds: Optional[float] = None) -> ApplicationError:
    """Fails this attempt; the workflow retries after retry_after_seconds when given (HTTP
    Retry-After), else after the template's backoff."""
    if not retry_after_seconds or retry_after_seconds <= 0:
        return ApplicationError(message, type=RETRYABLE_ERROR)
    return ApplicationError(
        message,
        {"retry_after_seconds": retry_after_seconds},
        type=RETRYABLE_ERROR,
        next_retry_delay=timedelta(seconds=retry_after_seconds),
    )


def heartbeat(*details: Any) -> None:
    """Records progress of a long step; required when the step sets temporal.heartbeat."""
    activity.heartbeat(*details)


def task_context(request: StepRequest) -> Dict[str, Any]:
    """The task context ({} when absent)."""
    context = request.get("task", {}).get("context")
    return context if isinstance(context, dict) else {}


def step_activity(callable_name: str) -> Callable[[Handler], Callable[[StepRequest], Awaitable[StepResult]]]:
    """Registers a handler as the activity named by its callable; it answers the conformance
    probes, else returns {"results": <what the handler returned>}."""

    def wrap(handler: Handler) -> Callable[[StepRequest], Awaitable[StepResult]]:
        @activity.defn(name=callable_name)
        async def run(request: StepRequest) -> StepResult:
            probe = (request.get("step", {}).get("initialization") or {}).get(PROBE_KEY)
            if probe is not None:
                return await answer_probe(probe, request)
            return {"results": await handler(request)}

        return run

    return wrap


async def answer_probe(probe: str, request: StepRequest) -> StepResult:
    """The conformance probe protocol (docs/handlers.md, "Conformance")."""
    init = request.get("step", {}).get("initialization") or {}
    if probe == "echo":
        return {"results": request, "metadata": {PROBE_KEY: "echo"}}
    if probe == "fail_retryable":
        raise retryable_error("conformance probe: retryable failure", init.get("retry_after_seconds"))
    if probe == "fail_permanent":
        raise permanent_error("conformance probe: permanent failure")
    if probe == "heartbeat":
        duration_ms = init.get("duration_ms", 3000)
        interval_ms = init.get("interval_ms", 250)
        beats, elapsed = 0, 0
        while elapsed < duration_ms:
            beats += 1
            heartbeat({"beat": beats})
            await asyncio.sleep(interval_ms / 1000)
            elapsed += interval_ms
        return {"results": {"heartbeats": beats}}
    raise permanent_error(f"unknown conformance probe {probe!r}")
