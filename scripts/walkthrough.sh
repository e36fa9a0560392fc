#!/usr/bin/env bash
# walkthrough.sh drives one whole complaint through the API with curl: the
# customer files, an agent investigates and proposes a refund above the
# agent's authority, a supervisor approves, the customer accepts on the
# tracking link and answers the survey. docs/api.md shows it step by step;
# internal/app's TestReadmeWalkthrough runs it against the real stack.
#
#   B=http://localhost:8080 scripts/walkthrough.sh
#
# Staff tokens come from `complaints token` (COMPLAINTS=path/to/binary, or
# `go run ./cmd/complaints`), signed with JWT_SECRET or the dev secret.
# With the default clocks the survey is sent three days after closing; the
# script waits SURVEY_WAIT seconds (default 10) for it and stops there if
# it has not come yet.
set -euo pipefail
B=${B:-http://localhost:8080}
COMPLAINTS=${COMPLAINTS:-go run ./cmd/complaints}
SURVEY_WAIT=${SURVEY_WAIT:-10}
RUN=${RUN:-$(date +%s)}

field() { grep -o "\"$1\":\"[^\"]*\"" | sed -n 1p | cut -d'"' -f4; }
say() { printf '\n== %s\n' "$*"; }
call() { # method path token [body] -> prints the body, fails on HTTP >= 400
  local out code
  out=$(mktemp)
  code=$(curl -sS -o "$out" -w '%{http_code}' -X "$1" "$B$2" ${3:+-H "Authorization: Bearer $3"} \
    -H 'Content-Type: application/json' ${4:+-d "$4"})
  cat "$out"; rm -f "$out"; echo
  if [ "$code" -ge 400 ]; then echo "HTTP $code from $1 $2" >&2; return 1; fi
}

AGENT=$($COMPLAINTS token --sub "ann-$RUN" --role agent --team billing)
SUP=$($COMPLAINTS token --sub "sue-$RUN" --role supervisor --team billing)
call GET /v1/me "$AGENT" >/dev/null   # staff register on first use
call GET /v1/me "$SUP" >/dev/null

say "1. The customer files a complaint"
created=$(call POST /v1/complaints "" '{
  "customer": {"id": "walk-'"$RUN"'", "name": "Wang Fang", "phone": "13800000000"},
  "channel": "web", "subject": "电费多收", "description": "这个月的电费账单多收了两次",
  "desired_remedy": "退还多收的费用", "order_ref": "E-'"$RUN"'", "language": "zh"}')
echo "$created"
ID=$(echo "$created" | field id); TRACK=$(echo "$created" | field tracking_token)

say "2. The agent finds it, records findings and proposes a refund of 120.00 CNY"
# The tracking page is public and rate-limited (PUBLIC_RATE, 2 a second by
# default): poll it at most twice a second.
for _ in $(seq 1 50); do
  call GET "/v1/track/$TRACK" "" | grep -q '"status":"acknowledged"' && break; sleep 0.5
done
call GET "/v1/complaints?status=acknowledged&limit=5" "$AGENT" | cut -c1-300
call POST "/v1/complaints/$ID/findings" "$AGENT" '{"cause": "billing.duplicate",
  "cause_detail": "billing.duplicate.meter_read_twice", "responsibility": "company",
  "responsible_unit": "metering", "summary": "The meter was read twice."}' >/dev/null
call POST "/v1/complaints/$ID/proposal" "$AGENT" '{"remedies": [{"type": "refund", "amount": 12000,
  "currency": "CNY"}, {"type": "apology"}], "message": "我们将退还多收的 120 元电费，并向您致歉。"}' >/dev/null

say "3. A supervisor approves; the refund is paid once and the customer is told"
call POST "/v1/complaints/$ID/approvals" "$SUP" '{"decision": "approve"}' | grep -o '"status":"[a-z_]*"' | sed -n 1p

say "4. The customer reads the tracking page and accepts"
for _ in $(seq 1 50); do
  call GET "/v1/track/$TRACK" "" | grep -q '"status":"awaiting_customer"' && break; sleep 0.5
done
call GET "/v1/track/$TRACK" "" | cut -c1-400
call POST "/v1/track/$TRACK/response" "" '{"decision": "accept"}'

say "5. The survey link arrives after the survey delay; the customer answers"
SURVEY=""
for _ in $(seq 1 $((SURVEY_WAIT * 2))); do
  SURVEY=$(call GET "/v1/track/$TRACK" "" | grep -o '/survey/[A-Za-z0-9_-]*' | sed -n 1p | cut -d/ -f3 || true)
  [ -n "$SURVEY" ] && break; sleep 0.5
done
if [ -z "$SURVEY" ]; then
  echo "no survey yet (it is sent after the profile's survey delay); stopping here"
  exit 0
fi
call POST "/v1/surveys/$SURVEY" "" '{"score": 5, "comment": "很快"}'
echo "walkthrough complete: case $ID"
