# frozen_string_literal: true

# Sidekiq jobs serving Tasker steps through cmd/bridge. Run:
#   REDIS_URL=redis://127.0.0.1:6379/0 sidekiq -r ./examples/bridge/ruby/jobs.rb -q tasker
# Each job takes the bridge's envelope and reports with one TaskerBridge.run call.
require "sidekiq"
require_relative "../../../bridge/shims/ruby/tasker_bridge"

# b of examples/bridge/mixed.yaml: the value of the step named by initialization.from, plus ten.
class AddTenJob
  include Sidekiq::Worker
  sidekiq_options retry: false # retries are the Tasker workflow's

  def perform(envelope)
    TaskerBridge.run(envelope) do |req|
      from = req.dig("step", "initialization", "from")
      parent = req.dig("dependency_results", from) or raise TaskerBridge::PermanentError, "no results from #{from}"
      { "value" => parent.fetch("value") + 10 }
    end
  end
end

# Completes at once: the benchmark's job.
class NoopJob
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform(envelope)
    TaskerBridge.complete(envelope, { "ok" => true })
  end
end

# A worker that dies mid-job: on the first attempt it heartbeats, then kills its own process (no
# report ever comes). The step's heartbeat timeout fails the attempt; the next attempt completes.
class DieOnFirstAttemptJob
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform(envelope)
    attempt = envelope.dig("request", "step", "attempt")
    if attempt == 1
      TaskerBridge.heartbeat(envelope, { "stage" => "about to die" })
      Process.kill(:KILL, Process.pid)
    end
    TaskerBridge.run(envelope) { |_req| { "survived_attempt" => attempt } }
  end
end

# Reports results larger than any sane limit.
class HugeResultJob
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform(envelope)
    TaskerBridge.complete(envelope, { "blob" => "x" * (2 * 1024 * 1024) })
  rescue TaskerBridge::CallbackError => e
    Sidekiq.logger.warn(e.message) # 413 result_too_large: the bridge failed the attempt
  end
end

# Fails on its first attempt with an ordinary exception (retryable), succeeds on the next.
class FlakyJob
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform(envelope)
    TaskerBridge.run(envelope) do |req|
      attempt = req.dig("step", "attempt")
      raise IOError, "upstream unavailable" if attempt == 1

      { "attempt" => attempt }
    end
  end
end

# Always declines: a permanent failure, no further attempts.
class DeclineJob
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform(envelope)
    TaskerBridge.run(envelope) { |_req| raise TaskerBridge::PermanentError, "card declined" }
  end
end
