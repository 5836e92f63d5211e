"""A Temporal worker that serves Tasker steps natively in Python.

Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default "default"),
TASKER_TASK_QUEUE (default the template's temporal.task_queue, tasker-python-examples).
Run: pip install -r requirements.txt && python worker.py
"""

from __future__ import annotations

import asyncio
import os
import signal

from temporalio.client import Client
from temporalio.worker import Worker

from handlers import ACTIVITIES


async def main() -> None:
    address = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
    namespace = os.environ.get("TEMPORAL_NAMESPACE", "default")
    task_queue = os.environ.get("TASKER_TASK_QUEUE", "tasker-python-examples")
    client = await Client.connect(address, namespace=namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(client, task_queue=task_queue, activities=ACTIVITIES):
        print(f"ready task_queue={task_queue}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
