"""tasker_bridge: the one-call reporting shim for Celery tasks that serve Tasker steps through
cmd/bridge.

A task receives one argument, the bridge's envelope (a dict), and reports with::

    @app.task(name="Bridge::Triple")
    def triple(envelope):
        return tasker_bridge.run(envelope, lambda request: {"value": 3})

or by hand: ``complete(envelope, results)``, ``fail(envelope, error, permanent=False,
retry_after=None)``, ``heartbeat(envelope)``. Raise ``PermanentError`` to stop the step,
``RetryableError(msg, retry_after=30)`` to ask for a later retry; any other exception is a
retryable failure. Retries are the Tasker workflow's: ``run`` never re-raises, so Celery does not
retry the task itself. Standard library only.
"""

import json
import time
import traceback
import urllib.error
import urllib.request

__all__ = ["run", "complete", "fail", "heartbeat", "request", "PermanentError", "RetryableError",
           "Cancelled", "CallbackError"]


class PermanentError(Exception):
    """Stops the step: no further attempts."""


class RetryableError(Exception):
    """Fails this attempt; retry_after (seconds) asks the workflow to wait before the next."""

    def __init__(self, message="", retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class Cancelled(Exception):
    """The task was cancelled: stop working (raised by heartbeat)."""


class CallbackError(Exception):
    """The bridge refused a report (token invalid, expired or used; attempt closed; too large)."""

    def __init__(self, status, code, message):
        super().__init__(f"tasker bridge: {status} {code}: {message}")
        self.status = status
        self.code = code


def request(envelope):
    """The step's request: {"task": {...}, "step": {...}, "dependency_results": {...}}."""
    return envelope["request"]


def run(envelope, fn):
    """Calls fn(request) and reports its return value, or the exception it raised."""
    try:
        results = fn(request(envelope))
    except PermanentError as e:
        fail(envelope, e, permanent=True)
        return None
    except RetryableError as e:
        fail(envelope, e, retry_after=e.retry_after)
        return None
    except Exception as e:  # noqa: BLE001 - every other exception is a retryable failure
        fail(envelope, e)
        return None
    complete(envelope, results)
    return results


def complete(envelope, results, metadata=None):
    body = {"results": results}
    if metadata is not None:
        body["metadata"] = metadata
    return _post(envelope, "/v1/complete", body)


def fail(envelope, error, permanent=False, retry_after=None):
    body = {"message": str(error), "permanent": permanent}
    if isinstance(error, BaseException):
        body["class"] = type(error).__name__
        body["backtrace"] = "".join(traceback.format_exception(type(error), error, error.__traceback__))[-4000:]
    if retry_after:
        body["retry_after_seconds"] = retry_after
    return _post(envelope, "/v1/fail", body)


def heartbeat(envelope, details=None):
    reply = _post(envelope, "/v1/heartbeat", {} if details is None else {"details": details})
    if reply.get("cancel_requested"):
        raise Cancelled("task cancelled")
    return reply


def _post(envelope, path, body, tries=5):
    cb = envelope["callback"]
    data = json.dumps(body).encode()
    for attempt in range(1, tries + 1):
        req = urllib.request.Request(cb["url"] + path, data=data, method="POST", headers={
            "Content-Type": "application/json", "Authorization": "Bearer " + cb["token"]})
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return json.loads(res.read() or b"{}")
        except urllib.error.HTTPError as e:
            reply = json.loads(e.read() or b"{}")
            if e.code < 500 or attempt == tries:
                raise CallbackError(e.code, reply.get("code"), reply.get("error")) from None
        except OSError:
            if attempt == tries:
                raise
        time.sleep(0.2 * 2 ** attempt)
    raise AssertionError("unreachable")
