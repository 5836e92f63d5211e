# frozen_string_literal: true

# A Temporal worker that serves Tasker steps natively in Ruby.
#
# Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default "default"),
# TASKER_TASK_QUEUE (default the template's temporal.task_queue, tasker-ruby-examples).
# Run: bundle install && bundle exec ruby worker.rb
require 'temporalio/client'
require 'temporalio/worker'
require_relative 'lib/handlers'

address = ENV.fetch('TEMPORAL_ADDRESS', 'localhost:7233')
namespace = ENV.fetch('TEMPORAL_NAMESPACE', 'default')
task_queue = ENV.fetch('TASKER_TASK_QUEUE', 'tasker-ruby-examples')

client = Temporalio::Client.connect(address, namespace)
worker = Temporalio::Worker.new(client:, task_queue:, activities: Handlers::ALL)
puts "ready task_queue=#{task_queue}"
$stdout.flush
worker.run(shutdown_signals: %w[SIGINT SIGTERM])
