// The Tasker step-handler contract in TypeScript (docs/handlers.md, schemas/*.schema.json).
//
// A step is one Temporal activity: the activity type is the step's handler callable, its single
// argument a StepRequest, its return value a StepResult. Field names are snake_case on the wire:
// keep them so (never map them to camelCase and back).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

/** JSON as it travels between the workflow and a handler. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The input of every step activity. */
export interface StepRequest {
  task: {
    id?: number; // the Rails task_id when the task is mirrored
    namespace: string;
    name: string;
    version: string;
    context?: Json; // absent when the task was started without one: treat as {}
    workflow_id: string;
    run_id: string;
  };
  step: {
    name: string;
    attempt: number; // from 1
    max_attempts: number;
    initialization?: { [key: string]: Json }; // handler.initialization of the step template
  };
  /** Results of the step's parents, by step name (resolved steps carry the operator's results). */
  dependency_results: { [step: string]: Json };
}

/** What a step activity returns. */
export interface StepResult {
  results?: Json;
  metadata?: { [key: string]: Json };
}

/** A handler: Tasker's `process` hook. It returns the results to store. */
export type StepHandler = (req: StepRequest) => Promise<Json> | Json;

/** Error types of the contract. */
export const PERMANENT_ERROR = 'PermanentError';
export const RETRYABLE_ERROR = 'RetryableError';

/** Fails the step at once: no further attempts (a 4xx, invalid input, a declined card). */
export function permanentError(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: PERMANENT_ERROR, message, nonRetryable: true });
}

/**
 * Fails this attempt; the workflow retries the step after retryAfterSeconds when given (e.g. an
 * HTTP Retry-After), else after the template's backoff.
 */
export function retryableError(message: string, retryAfterSeconds?: number): ApplicationFailure {
  if (retryAfterSeconds === undefined || retryAfterSeconds <= 0) {
    return ApplicationFailure.create({ type: RETRYABLE_ERROR, message, nonRetryable: false });
  }
  return ApplicationFailure.create({
    type: RETRYABLE_ERROR,
    message,
    nonRetryable: false,
    details: [{ retry_after_seconds: retryAfterSeconds }],
    nextRetryDelay: retryAfterSeconds * 1000,
  });
}

/** Records progress of a long step; required when the step sets temporal.heartbeat. */
export function heartbeat(details?: Json): void {
  Context.current().heartbeat(details);
}

/** The task context as an object ({} when absent). */
export function taskContext(req: StepRequest): { [key: string]: Json } {
  const c = req.task.context;
  return c !== null && typeof c === 'object' && !Array.isArray(c) ? c : {};
}

/**
 * Wraps a handler as a step activity: answers the conformance probes of `tasker conformance`
 * (step.initialization.conformance_probe), else runs the handler and returns {results}.
 */
export function stepActivity(handler: StepHandler): (req: StepRequest) => Promise<StepResult> {
  return async (req: StepRequest): Promise<StepResult> => {
    const probe = req.step.initialization?.conformance_probe;
    if (typeof probe === 'string') {
      return answerProbe(probe, req);
    }
    return { results: await handler(req) };
  };
}

function numberOr(v: Json | undefined, def: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : def;
}

/** The conformance probe protocol (docs/handlers.md, "Conformance"). */
async function answerProbe(probe: string, req: StepRequest): Promise<StepResult> {
  const init = req.step.initialization ?? {};
  switch (probe) {
    case 'echo':
      return { results: req as unknown as Json, metadata: { conformance_probe: 'echo' } };
    case 'fail_retryable':
      throw retryableError('conformance probe: retryable failure', numberOr(init.retry_after_seconds, 0));
    case 'fail_permanent':
      throw permanentError('conformance probe: permanent failure');
    case 'heartbeat': {
      const duration = numberOr(init.duration_ms, 3000);
      const interval = numberOr(init.interval_ms, 250);
      const ctx = Context.current();
      let beats = 0;
      for (let elapsed = 0; elapsed < duration; elapsed += interval) {
        ctx.heartbeat({ beat: ++beats });
        await ctx.sleep(interval);
      }
      return { results: { heartbeats: beats } };
    }
    default:
      throw permanentError(`unknown conformance probe ${JSON.stringify(probe)}`);
  }
}
