# frozen_string_literal: true

# TaskerBridge: the one-call reporting shim for Sidekiq jobs that serve Tasker steps through
# cmd/bridge. A job receives one argument, the bridge's envelope (a Hash), and reports with
#
#   TaskerBridge.run(envelope) { |request| { "value" => 42 } }     # runs the block, reports for you
#
# or by hand: TaskerBridge.complete(envelope, results), TaskerBridge.fail(envelope, error,
# permanent: false, retry_after: nil), TaskerBridge.heartbeat(envelope). Raise
# TaskerBridge::PermanentError to stop the step, TaskerBridge::RetryableError.new(msg,
# retry_after: 30) to ask for a later retry; any other exception is a retryable failure. Retries are
# the Tasker workflow's: run never re-raises, so Sidekiq does not retry the job itself.
# Standard library only.
require "json"
require "net/http"
require "uri"

module TaskerBridge
  class PermanentError < StandardError; end

  class RetryableError < StandardError
    attr_reader :retry_after

    def initialize(message = nil, retry_after: nil)
      super(message)
      @retry_after = retry_after
    end
  end

  # The task was cancelled: stop working (raised by heartbeat).
  class Cancelled < StandardError; end

  # The bridge refused a report (token invalid, expired or used; attempt closed; too large).
  class CallbackError < StandardError
    attr_reader :status, :code

    def initialize(status, code, message)
      super("tasker bridge: #{status} #{code}: #{message}")
      @status = status
      @code = code
    end
  end

  module_function

  # The step's request: {"task" => {...}, "step" => {...}, "dependency_results" => {...}}.
  def request(envelope)
    envelope.fetch("request")
  end

  def run(envelope)
    results = yield request(envelope)
    complete(envelope, results)
    results
  rescue PermanentError => e
    fail(envelope, e, permanent: true)
    nil
  rescue RetryableError => e
    fail(envelope, e, retry_after: e.retry_after)
    nil
  rescue CallbackError
    raise
  rescue StandardError => e
    fail(envelope, e)
    nil
  end

  def complete(envelope, results, metadata: nil)
    body = { "results" => results }
    body["metadata"] = metadata if metadata
    post(envelope, "/v1/complete", body)
  end

  def fail(envelope, error, permanent: false, retry_after: nil)
    body = { "message" => error.is_a?(Exception) ? error.message : error.to_s, "permanent" => permanent }
    if error.is_a?(Exception)
      body["class"] = error.class.name
      body["backtrace"] = Array(error.backtrace).first(20).join("\n")
    end
    body["retry_after_seconds"] = retry_after if retry_after
    post(envelope, "/v1/fail", body)
  end

  def heartbeat(envelope, details = nil)
    reply = post(envelope, "/v1/heartbeat", details.nil? ? {} : { "details" => details })
    raise Cancelled, "task cancelled" if reply["cancel_requested"]

    reply
  end

  def post(envelope, path, body, tries: 5)
    cb = envelope.fetch("callback")
    uri = URI(cb.fetch("url") + path)
    payload = JSON.generate(body)
    (1..tries).each do |attempt|
      res = begin
        req = Net::HTTP::Post.new(uri, "Content-Type" => "application/json", "Authorization" => "Bearer #{cb.fetch('token')}")
        req.body = payload
        connection(uri).request(req)
      rescue SystemCallError, IOError, EOFError, Net::OpenTimeout, Net::ReadTimeout
        drop_connection(uri)
        raise if attempt == tries

        sleep(0.2 * (2**attempt))
        next
      end
      reply = JSON.parse(res.body.to_s.empty? ? "{}" : res.body)
      status = res.code.to_i
      return reply if status < 300
      raise CallbackError.new(status, reply["code"], reply["error"]) if status < 500 || attempt == tries

      sleep(0.2 * (2**attempt))
    end
  end

  # One kept-alive connection per thread and bridge address (Sidekiq runs jobs on threads).
  def connection(uri)
    conns = (Thread.current[:tasker_bridge_http] ||= {})
    key = "#{uri.scheme}://#{uri.host}:#{uri.port}"
    http = conns[key]
    return http if http&.started?

    http = Net::HTTP.new(uri.host, uri.port)
    http.use_ssl = uri.scheme == "https"
    http.open_timeout = 5
    http.read_timeout = 30
    http.keep_alive_timeout = 30
    http.start
    conns[key] = http
  end

  def drop_connection(uri)
    conns = Thread.current[:tasker_bridge_http] || {}
    http = conns.delete("#{uri.scheme}://#{uri.host}:#{uri.port}")
    http&.finish if http&.started?
  rescue IOError
    nil
  end
end
