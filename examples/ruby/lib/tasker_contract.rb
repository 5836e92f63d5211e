# frozen_string_literal: true

# The Tasker step-handler contract in Ruby (docs/handlers.md, schemas/*.schema.json).
#
# A step is one Temporal activity: the activity name is the step's handler callable, its single
# argument the StepRequest (a Hash with snake_case String keys), its return value the StepResult
# Hash {'results' => ..., 'metadata' => {...}}. Keep the keys as they are: never symbolize or
# camelize them on the way back.
require 'temporalio/activity'
require 'temporalio/error'

module TaskerContract
  PERMANENT_ERROR = 'PermanentError'
  RETRYABLE_ERROR = 'RetryableError'
  PROBE_KEY = 'conformance_probe'

  module_function

  # Fails the step at once: no further attempts.
  def permanent_error(message)
    Temporalio::Error::ApplicationError.new(message, type: PERMANENT_ERROR, non_retryable: true)
  end

  # Fails this attempt; the workflow retries after retry_after_seconds when given (HTTP
  # Retry-After), else after the template's backoff.
  def retryable_error(message, retry_after_seconds = nil)
    if retry_after_seconds.nil? || retry_after_seconds <= 0
      return Temporalio::Error::ApplicationError.new(message, type: RETRYABLE_ERROR)
    end

    Temporalio::Error::ApplicationError.new(
      message, { 'retry_after_seconds' => retry_after_seconds },
      type: RETRYABLE_ERROR, next_retry_delay: retry_after_seconds
    )
  end

  # Records progress of a long step; required when the step sets temporal.heartbeat.
  def heartbeat(*details)
    Temporalio::Activity::Context.current.heartbeat(*details)
  end

  # The task context ({} when absent).
  def task_context(request)
    context = request.dig('task', 'context')
    context.is_a?(Hash) ? context : {}
  end

  # Base class of a step handler: subclasses set the callable with `activity_name` and implement
  # `process(request)`, which returns the step's results. Conformance probes are answered here.
  class StepHandler < Temporalio::Activity::Definition
    def execute(request)
      probe = request.dig('step', 'initialization', PROBE_KEY)
      return TaskerContract.answer_probe(probe, request) if probe

      { 'results' => process(request) }
    end

    def process(_request)
      raise NotImplementedError, "#{self.class} must implement process(request)"
    end
  end

  # The conformance probe protocol (docs/handlers.md, "Conformance").
  def answer_probe(probe, request)
    init = request.dig('step', 'initialization') || {}
    case probe
    when 'echo'
      { 'results' => request, 'metadata' => { PROBE_KEY => 'echo' } }
    when 'fail_retryable'
      raise retryable_error('conformance probe: retryable failure', init['retry_after_seconds'])
    when 'fail_permanent'
      raise permanent_error('conformance probe: permanent failure')
    when 'heartbeat'
      probe_heartbeat(init.fetch('duration_ms', 3000), init.fetch('interval_ms', 250))
    else
      raise permanent_error("unknown conformance probe #{probe.inspect}")
    end
  end

  def probe_heartbeat(duration_ms, interval_ms)
    beats = 0
    elapsed = 0
    while elapsed < duration_ms
      beats += 1
      heartbeat({ 'beat' => beats })
      sleep(interval_ms / 1000.0)
      elapsed += interval_ms
    end
    { 'results' => { 'heartbeats' => beats } }
  end
end
