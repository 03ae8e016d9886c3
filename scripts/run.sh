#!/usr/bin/env bash
# Start every service (action server, Rasa server, demo web page), print where to chat, then chat in this
# terminal. Ctrl-C (or /stop in the chat) stops them all. Ports: ACTIONS_PORT, RASA_PORT, WEB_PORT, INBOX_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_TELEMETRY_ENABLED=false
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
RASA_PORT="${RASA_PORT:-5005}"
WEB_PORT="${WEB_PORT:-8080}"
INBOX_PORT="${INBOX_PORT:-8090}"
# triage tickets go to the embedded inbox unless a contact-center webhook is configured
export TRIAGE_WEBHOOK_URL="${TRIAGE_WEBHOOK_URL:-http://127.0.0.1:$INBOX_PORT/tickets}"
mkdir -p logs
pids=()
stop_all() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT
trap 'exit 130' INT TERM

endpoints="logs/endpoints.yml"
printf 'action_endpoint:\n  url: http://localhost:%s/webhook\n' "$ACTIONS_PORT" >"$endpoints"

.venv/bin/python -m inbox.server --port "$INBOX_PORT" >logs/inbox.log 2>&1 &
pids+=($!)
.venv/bin/rasa run actions --port "$ACTIONS_PORT" >logs/actions.log 2>&1 &
pids+=($!)
.venv/bin/rasa run --model models/immuno.tar.gz --port "$RASA_PORT" --endpoints "$endpoints" \
  --credentials credentials.yml >logs/rasa.log 2>&1 &
pids+=($!)
.venv/bin/python -m http.server "$WEB_PORT" --bind 127.0.0.1 --directory web >logs/web.log 2>&1 &
pids+=($!)

wait_for() {  # name url log
  for _ in $(seq 180); do
    curl -fs "$2" >/dev/null 2>&1 && return 0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "$1 stopped: see $3"; exit 1; }; done
    sleep 1
  done
  echo "$1 did not start in time: see $3"; exit 1
}
echo "Starting the assistant (the first start takes about half a minute)..."
wait_for "The action server" "http://localhost:$ACTIONS_PORT/health" logs/actions.log
wait_for "The Rasa server" "http://localhost:$RASA_PORT/" logs/rasa.log
wait_for "The web page server" "http://localhost:$WEB_PORT/" logs/web.log
wait_for "The triage inbox" "http://localhost:$INBOX_PORT/health" logs/inbox.log
# tickets left waiting by an earlier run go out now (the action server's own retry loop starts with its first handoff)
.venv/bin/python -m actions.outbox flush >>logs/outbox.log 2>&1 || echo "Some triage tickets are still waiting: see logs/outbox.log"

cat <<MSG

  Chat on the web page:  http://localhost:$WEB_PORT/
  Triage inbox (staff):  http://localhost:$INBOX_PORT/
  REST API for tests:    POST http://localhost:$RASA_PORT/webhooks/rest/webhook
  Logs:                  logs/

MSG
if [ -t 0 ]; then
  echo "Or chat here in the terminal. Type /stop to end."
  .venv/bin/python scripts/chat.py "http://localhost:$RASA_PORT"
else
  echo "Press Ctrl-C to stop."
  wait
fi
