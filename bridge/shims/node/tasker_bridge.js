// tasker_bridge: the one-call reporting shim for BullMQ jobs that serve Tasker steps through
// cmd/bridge. A job's data is the bridge's envelope; a Worker processor reports with
//
//   new Worker(queue, (job) => taskerBridge.run(job.data, async (request) => ({ value: 42 })), opts)
//
// or by hand: complete(envelope, results), fail(envelope, error, {permanent, retryAfter}),
// heartbeat(envelope). Throw PermanentError to stop the step, RetryableError(msg, retryAfter) to ask
// for a later retry; any other error is a retryable failure. Retries are the Tasker workflow's:
// run never rethrows, so BullMQ does not retry the job itself. Node >= 18 (global fetch) only.
'use strict';

class PermanentError extends Error {}

class RetryableError extends Error {
  constructor(message, retryAfter) {
    super(message);
    this.retryAfter = retryAfter;
  }
}

class Cancelled extends Error {}

class CallbackError extends Error {
  constructor(status, code, message) {
    super(`tasker bridge: ${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(envelope, path, body, tries = 5) {
  const cb = envelope.callback;
  for (let attempt = 1; ; attempt++) {
    let res;
    try {
      res = await fetch(cb.url + path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${cb.token}` },
        body: JSON.stringify(body),
      });
    } catch (err) {
      if (attempt >= tries) throw err;
      await sleep(200 * 2 ** attempt);
      continue;
    }
    const text = await res.text();
    const reply = text ? JSON.parse(text) : {};
    if (res.ok) return reply;
    if (res.status < 500 || attempt >= tries) throw new CallbackError(res.status, reply.code, reply.error);
    await sleep(200 * 2 ** attempt);
  }
}

/** The step's request: {task, step, dependency_results}. */
function request(envelope) {
  return envelope.request;
}

function complete(envelope, results, metadata) {
  return post(envelope, '/v1/complete', metadata === undefined ? { results } : { results, metadata });
}

function fail(envelope, error, { permanent = false, retryAfter } = {}) {
  const body = { message: error && error.message !== undefined ? error.message : String(error), permanent };
  if (error instanceof Error) {
    body.class = error.constructor.name;
    body.backtrace = String(error.stack || '').slice(0, 4000);
  }
  if (retryAfter) body.retry_after_seconds = retryAfter;
  return post(envelope, '/v1/fail', body);
}

async function heartbeat(envelope, details) {
  const reply = await post(envelope, '/v1/heartbeat', details === undefined ? {} : { details });
  if (reply.cancel_requested) throw new Cancelled('task cancelled');
  return reply;
}

/** Calls fn(request) and reports what it returns or throws. */
async function run(envelope, fn) {
  let results;
  try {
    results = await fn(request(envelope));
  } catch (err) {
    if (err instanceof PermanentError) await fail(envelope, err, { permanent: true });
    else if (err instanceof RetryableError) await fail(envelope, err, { retryAfter: err.retryAfter });
    else await fail(envelope, err);
    return undefined;
  }
  await complete(envelope, results === undefined ? null : results);
  return results;
}

module.exports = { run, complete, fail, heartbeat, request, PermanentError, RetryableError, Cancelled, CallbackError };
