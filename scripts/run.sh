#!/usr/bin/env bash
# Start the action server in the background and chat with the assistant in this terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2
mkdir -p logs
ACTIONS_PORT="${ACTIONS_PORT:-5055}"

.venv/bin/rasa run actions --port "$ACTIONS_PORT" >logs/actions.log 2>&1 &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 60); do
  curl -fs "http://localhost:$ACTIONS_PORT/health" >/dev/null 2>&1 && break
  kill -0 "$actions_pid" 2>/dev/null || { echo "The action server failed to start: see logs/actions.log"; exit 1; }
  sleep 1
done
echo "Action server: http://localhost:$ACTIONS_PORT (log: logs/actions.log)"
echo "Chat with the assistant below. Type /stop to end."
.venv/bin/rasa shell --model models/immuno.tar.gz --endpoints endpoints.yml
