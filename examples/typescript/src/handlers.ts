// The step handlers of templates/order_fulfillment.yaml, keyed by handler callable.
import { Json, StepRequest, StepHandler, permanentError, retryableError, stepActivity, taskContext } from './contract';

interface LineItem {
  sku: string;
  quantity: number;
  unit_price: number;
}

function order(req: StepRequest): { order_id?: Json; country?: Json; items: LineItem[] } {
  const o = taskContext(req).order;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw permanentError(`step ${req.step.name}: task context has no order object`);
  }
  const items = Array.isArray(o.items) ? (o.items as unknown as LineItem[]) : [];
  return { order_id: o.order_id, country: o.country, items };
}

function dependency(req: StepRequest, step: string): { [key: string]: Json } {
  const r = req.dependency_results[step];
  if (r === null || typeof r !== 'object' || Array.isArray(r)) {
    throw permanentError(`step ${req.step.name}: no results from dependency ${step}`);
  }
  return r;
}

/** Checks the order and prices it. An empty order can never succeed: permanent. */
const validateOrder: StepHandler = (req) => {
  const o = order(req);
  if (o.items.length === 0) {
    throw permanentError(`order ${String(o.order_id)} has no items`);
  }
  const total = o.items.reduce((sum, it) => sum + it.quantity * it.unit_price, 0);
  return { order_id: o.order_id ?? null, total, item_count: o.items.length };
};

/**
 * Charges the card. The gateway answers "429 Too Many Requests, Retry-After: n" to the first
 * `declines_before_success` attempts (initialization), which is a retryable error carrying
 * retry_after_seconds.
 */
const chargeCard: StepHandler = (req) => {
  const init = req.step.initialization ?? {};
  const declines = typeof init.declines_before_success === 'number' ? init.declines_before_success : 0;
  const retryAfter = typeof init.retry_after_seconds === 'number' ? init.retry_after_seconds : 1;
  if (req.step.attempt <= declines) {
    throw retryableError(`payment gateway: HTTP 429 (attempt ${req.step.attempt})`, retryAfter);
  }
  const validated = dependency(req, 'validate_order');
  return { charge_id: `ch_${String(validated.order_id)}_${req.step.attempt}`, amount: validated.total, attempts: req.step.attempt };
};

/** Books a shipment; a destination the carrier does not serve is permanent (an operator resolves it). */
const shipOrder: StepHandler = (req) => {
  const o = order(req);
  const supported = req.step.initialization?.supported_countries;
  if (Array.isArray(supported) && !supported.includes(o.country ?? '')) {
    throw permanentError(`carrier does not ship to ${String(o.country)}`);
  }
  return { tracking: `TRK-${String(o.order_id)}`, country: o.country ?? null };
};

/** Sends the receipt, from its parents' results (a resolved parent carries the operator's results). */
const sendReceipt: StepHandler = (req) => {
  const charge = dependency(req, 'charge_card');
  const shipment = dependency(req, 'ship_order');
  return { charge_id: charge.charge_id, amount: charge.amount, tracking: shipment.tracking ?? null, sent: true };
};

/** The mixed-runtime example's last step (examples/bridge/mixed.yaml): doubles the value of the
 * step named by initialization.from. */
const double: StepHandler = (req) => {
  const from = String(req.step.initialization?.from ?? '');
  return { value: Number(dependency(req, from).value) * 2 };
};

/** Activities by callable: the names the template's handler.callable fields use. */
export const activities = {
  'TypeScript::ValidateOrder': stepActivity(validateOrder),
  'TypeScript::ChargeCard': stepActivity(chargeCard),
  'TypeScript::ShipOrder': stepActivity(shipOrder),
  'TypeScript::SendReceipt': stepActivity(sendReceipt),
  'TypeScript::Double': stepActivity(double),
};
