#!/usr/bin/env bash
# Start every service (action server, Rasa server, demo web page, triage inbox), print where to chat, then chat
# in this terminal. Ctrl-C (or /stop in the chat) stops them all. Settings: the environment, which `make run` fills
# from .env (see .env.example).
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_TELEMETRY_ENABLED=false
# every setting, with its default where it is unset, from the one settings module (INBOX_PORT moves the webhook too)
exports="$(.venv/bin/python -m service.settings shell-exports)" || exit 2
eval "$exports"

# Rasa's HTTP API (models, trackers) stays closed unless asked for, and never opens without a token or JWT secret.
api=()
if [ "$ENABLE_API" = "true" ]; then
  if [ -n "$RASA_API_TOKEN" ]; then
    api=(--enable-api --auth-token "$RASA_API_TOKEN")
  elif [ -n "$RASA_JWT_SECRET" ]; then
    api=(--enable-api --jwt-secret "$RASA_JWT_SECRET" --jwt-method HS256)
  else
    echo "ENABLE_API=true needs RASA_API_TOKEN or RASA_JWT_SECRET: Rasa's HTTP API is not opened without one." >&2
    exit 2
  fi
fi

mkdir -p "$LOG_DIR"
# conversations and tickets older than RETENTION_DAYS are deleted at every start (and by `make retention`)
.venv/bin/python -m scripts.retention >>"$LOG_DIR/retention.log" 2>&1 ||
  { echo "The retention clean-up failed: see $LOG_DIR/retention.log"; exit 1; }
pids=()
stop_all() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT
trap 'exit 130' INT TERM

endpoints="$LOG_DIR/endpoints.yml"
.venv/bin/python -m scripts.endpoints >"$endpoints"

.venv/bin/python -m inbox.server >"$LOG_DIR/inbox.log" 2>&1 &
pids+=($!)
.venv/bin/python -m actions.server >"$LOG_DIR/actions.log" 2>&1 &
pids+=($!)
.venv/bin/rasa run --model models/immuno.tar.gz --interface "$RASA_HOST" --port "$RASA_PORT" \
  --endpoints "$endpoints" --credentials credentials.yml "${api[@]}" >"$LOG_DIR/rasa.log" 2>&1 &
pids+=($!)
.venv/bin/python -m http.server "$WEB_PORT" --bind 127.0.0.1 --directory web >"$LOG_DIR/web.log" 2>&1 &
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
wait_for "The action server" "http://127.0.0.1:$ACTIONS_PORT/health" "$LOG_DIR/actions.log"
wait_for "The Rasa server" "http://127.0.0.1:$RASA_PORT/" "$LOG_DIR/rasa.log"
wait_for "The web page server" "http://127.0.0.1:$WEB_PORT/" "$LOG_DIR/web.log"
wait_for "The triage inbox" "http://127.0.0.1:$INBOX_PORT/health" "$LOG_DIR/inbox.log"

cat <<MSG

  Chat on the web page:  http://localhost:$WEB_PORT/
  Triage inbox (staff):  http://localhost:$INBOX_PORT/  (sign in; accounts: INBOX_STAFF, make staff-password)
  REST API for tests:    POST http://localhost:$RASA_PORT/webhooks/rest/webhook
  Rasa HTTP API:         $([ ${#api[@]} -gt 0 ] && echo "open, with a token" || echo "closed (ENABLE_API=true to open)")
  Logs:                  $LOG_DIR/

MSG
if [ -t 0 ]; then
  echo "Or chat here in the terminal. Type /stop to end."
  .venv/bin/python scripts/chat.py "http://localhost:$RASA_PORT"
else
  echo "Press Ctrl-C to stop."
  wait
fi
