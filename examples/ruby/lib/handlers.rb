# frozen_string_literal: true

# The step handlers of templates/order_fulfillment.yaml (the same steps as the TypeScript example).
require_relative 'tasker_contract'

module Handlers
  def self.order(request, step)
    order = TaskerContract.task_context(request)['order']
    raise TaskerContract.permanent_error("step #{step}: task context has no order object") unless order.is_a?(Hash)

    order
  end

  def self.dependency(request, parent)
    results = request.fetch('dependency_results', {})[parent]
    raise TaskerContract.permanent_error("no results from dependency #{parent}") unless results.is_a?(Hash)

    results
  end

  # Prices the order; an empty order can never succeed: permanent.
  class ValidateOrder < TaskerContract::StepHandler
    activity_name 'Ruby::ValidateOrder'

    def process(request)
      order = Handlers.order(request, 'validate_order')
      items = order.fetch('items', [])
      raise TaskerContract.permanent_error("order #{order['order_id']} has no items") if items.empty?

      total = items.sum { |it| it['quantity'] * it['unit_price'] }
      { 'order_id' => order['order_id'], 'total' => total, 'item_count' => items.size }
    end
  end

  # The gateway answers 429 + Retry-After to the first declines_before_success attempts.
  class ChargeCard < TaskerContract::StepHandler
    activity_name 'Ruby::ChargeCard'

    def process(request)
      init = request.dig('step', 'initialization') || {}
      attempt = request.dig('step', 'attempt')
      if attempt <= init.fetch('declines_before_success', 0)
        raise TaskerContract.retryable_error("payment gateway: HTTP 429 (attempt #{attempt})",
                                             init.fetch('retry_after_seconds', 1))
      end

      validated = Handlers.dependency(request, 'validate_order')
      { 'charge_id' => "ch_#{validated['order_id']}_#{attempt}", 'amount' => validated['total'], 'attempts' => attempt }
    end
  end

  # Books a shipment; an unsupported country is permanent (an operator resolves the step).
  class ShipOrder < TaskerContract::StepHandler
    activity_name 'Ruby::ShipOrder'

    def process(request)
      order = Handlers.order(request, 'ship_order')
      supported = request.dig('step', 'initialization', 'supported_countries')
      if supported && !supported.include?(order['country'])
        raise TaskerContract.permanent_error("carrier does not ship to #{order['country']}")
      end

      { 'tracking' => "TRK-#{order['order_id']}", 'country' => order['country'] }
    end
  end

  # Sends the receipt from its parents' results.
  class SendReceipt < TaskerContract::StepHandler
    activity_name 'Ruby::SendReceipt'

    def process(request)
      charge = Handlers.dependency(request, 'charge_card')
      shipment = Handlers.dependency(request, 'ship_order')
      { 'charge_id' => charge['charge_id'], 'amount' => charge['amount'], 'tracking' => shipment['tracking'], 'sent' => true }
    end
  end

  ALL = [ValidateOrder, ChargeCard, ShipOrder, SendReceipt].freeze
end
