// A deliberately broken step worker: the mistakes the conformance kit (`tasker conformance`)
// exists to catch. Do not copy it. The test in typescript_test.go runs the kit against it and
// checks each mistake is reported:
//   - the request is mapped to a camelCase model and echoed back that way (dependencyResults, …);
//   - a retryable failure is a plain Error (type "Error", no retry_after_seconds details);
//   - a permanent failure has the right type but is not flagged non-retryable;
//   - a long step sleeps without heartbeating.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { runWorker } from './worker';

type Loose = { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function camelize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelize);
  if (v === null || typeof v !== 'object') return v;
  const out: Loose = {};
  for (const [k, val] of Object.entries(v as Loose)) {
    out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = camelize(val);
  }
  return out;
}

async function brokenHandler(raw: unknown): Promise<Loose> {
  const req = camelize(raw) as Loose; // mistake: the wire format is snake_case
  const init: Loose = req.step?.initialization ?? {};
  switch (init.conformanceProbe) {
    case 'echo':
      return { results: req };
    case 'fail_retryable':
      throw new Error(`gateway said 429, retry in ${init.retryAfterSeconds}s`);
    case 'fail_permanent':
      throw ApplicationFailure.create({ type: 'PermanentError', message: 'card declined' });
    case 'heartbeat':
      await Context.current().sleep(init.durationMs ?? 3000);
      return { results: { heartbeats: 0 } };
    default:
      return { results: { ok: true } };
  }
}

if (require.main === module) {
  runWorker({ 'Broken::CamelCaseHandler': brokenHandler }, 'tasker-typescript-broken').catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
