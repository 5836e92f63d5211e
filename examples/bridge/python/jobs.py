"""Celery tasks serving Tasker steps through cmd/bridge. Run (Debian's python3-celery):

    cd examples/bridge/python && PYTHONPATH=../../../bridge/shims/python \
      python3 -m celery -A jobs worker -Q tasker

Each task takes the bridge's envelope and reports with one tasker_bridge.run call.
"""

import os

from celery import Celery

import tasker_bridge

app = Celery("tasker_examples", broker=os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"))
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    worker_prefetch_multiplier=8,
    broker_connection_retry_on_startup=True,
)


def _triple(request):
    source = request["step"]["initialization"]["from"]
    parent = request["dependency_results"].get(source)
    if parent is None:
        raise tasker_bridge.PermanentError(f"no results from {source}")
    return {"value": parent["value"] * 3}


@app.task(name="Bridge::Triple")
def triple(envelope):
    """c of examples/bridge/mixed.yaml: three times the value of initialization.from."""
    tasker_bridge.run(envelope, _triple)


@app.task(name="Examples::Noop")
def noop(envelope):
    """Completes at once: the benchmark's task."""
    tasker_bridge.complete(envelope, {"ok": True})


def _flaky(request):
    attempt = request["step"]["attempt"]
    if attempt == 1:
        raise ConnectionError("upstream unavailable")
    return {"attempt": attempt}


def _decline(_request):
    raise tasker_bridge.PermanentError("card declined")


@app.task(name="Examples::Flaky")
def flaky(envelope):
    """Fails its first attempt with an ordinary exception (retryable), succeeds on the next."""
    tasker_bridge.run(envelope, _flaky)


@app.task(name="Examples::Decline")
def decline(envelope):
    """Always declines: a permanent failure, no further attempts."""
    tasker_bridge.run(envelope, _decline)
