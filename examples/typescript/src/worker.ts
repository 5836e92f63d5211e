// A Temporal worker that serves Tasker steps natively in TypeScript.
//
// Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default "default"),
// TASKER_TASK_QUEUE (default the template's temporal.task_queue, tasker-typescript-examples).
// It prints one line "ready task_queue=<queue>" when it polls, and shuts down on SIGINT/SIGTERM.
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { activities } from './handlers';

export const DEFAULT_TASK_QUEUE = 'tasker-typescript-examples';

export async function runWorker(acts: object, defaultQueue: string): Promise<void> {
  Runtime.install({
    shutdownSignals: [], // this process handles SIGINT/SIGTERM itself (below)
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  const address = process.env.TEMPORAL_ADDRESS || 'localhost:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const taskQueue = process.env.TASKER_TASK_QUEUE || defaultQueue;
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({ connection, namespace, taskQueue, activities: acts });
    await worker.runUntil(async () => {
      console.log(`ready task_queue=${taskQueue}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    });
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  runWorker(activities, DEFAULT_TASK_QUEUE).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
