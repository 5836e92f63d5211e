"""The step handlers of templates/order_fulfillment.yaml (the same steps as the TypeScript example)."""

from __future__ import annotations

from typing import Any, Dict

from tasker_contract import StepRequest, permanent_error, retryable_error, step_activity, task_context


def _order(request: StepRequest) -> Dict[str, Any]:
    order = task_context(request).get("order")
    if not isinstance(order, dict):
        raise permanent_error(f"step {request['step']['name']}: task context has no order object")
    return order


def _dependency(request: StepRequest, parent: str) -> Dict[str, Any]:
    results = request.get("dependency_results", {}).get(parent)
    if not isinstance(results, dict):
        raise permanent_error(f"step {request['step']['name']}: no results from dependency {parent}")
    return results


@step_activity("Python::ValidateOrder")
async def validate_order(request: StepRequest) -> Any:
    """Prices the order; an empty order can never succeed: permanent."""
    order = _order(request)
    items = order.get("items", [])
    if not items:
        raise permanent_error(f"order {order.get('order_id')} has no items")
    total = sum(it["quantity"] * it["unit_price"] for it in items)
    return {"order_id": order.get("order_id"), "total": total, "item_count": len(items)}


@step_activity("Python::ChargeCard")
async def charge_card(request: StepRequest) -> Any:
    """The gateway answers 429 + Retry-After to the first declines_before_success attempts."""
    init = request["step"].get("initialization") or {}
    attempt = request["step"]["attempt"]
    if attempt <= init.get("declines_before_success", 0):
        raise retryable_error(f"payment gateway: HTTP 429 (attempt {attempt})", init.get("retry_after_seconds", 1))
    validated = _dependency(request, "validate_order")
    return {"charge_id": f"ch_{validated['order_id']}_{attempt}", "amount": validated["total"], "attempts": attempt}


@step_activity("Python::ShipOrder")
async def ship_order(request: StepRequest) -> Any:
    """Books a shipment; an unsupported country is permanent (an operator resolves the step)."""
    order = _order(request)
    supported = (request["step"].get("initialization") or {}).get("supported_countries")
    if supported is not None and order.get("country") not in supported:
        raise permanent_error(f"carrier does not ship to {order.get('country')}")
    return {"tracking": f"TRK-{order.get('order_id')}", "country": order.get("country")}


@step_activity("Python::SendReceipt")
async def send_receipt(request: StepRequest) -> Any:
    """Sends the receipt from its parents' results."""
    charge = _dependency(request, "charge_card")
    shipment = _dependency(request, "ship_order")
    return {"charge_id": charge["charge_id"], "amount": charge["amount"], "tracking": shipment.get("tracking"), "sent": True}


ACTIVITIES = [validate_order, charge_card, ship_order, send_receipt]
