#!/usr/bin/env bash
# Says what a deploy or rollback did, in words a person reads at a glance, to the log, the job
# summary and (when WEBHOOK_URL is set) Slack. Tries Slack three times; never fails the job: a
# Slack outage must not turn a good deploy red.
set -u

case "${OUTCOME:-unknown}" in
  promoted) headline="✅ ${SERVICE} promoted to ${ENVIRONMENT}: all traffic on the new release, watched and healthy" ;;
  rolled-back-by-gate) headline="↩️ ${SERVICE} rolled back in ${ENVIRONMENT} by a traffic gate: customers are on the previous release" ;;
  rolled-back-by-monitor) headline="↩️ ${SERVICE} rolled back in ${ENVIRONMENT} by the monitor after the cutover: customers are on the previous release" ;;
  rolled-back-by-workflow) headline="↩️ ${SERVICE} rolled back in ${ENVIRONMENT} by the workflow after a failure once traffic had moved" ;;
  rolled-back-by-hand) headline="↩️ ${SERVICE} rolled back in ${ENVIRONMENT} by hand: customers are on the previous release" ;;
  unchanged) headline="ℹ️ ${SERVICE} in ${ENVIRONMENT} already runs this release: nothing was changed" ;;
  superseded) headline="⏭️ ${SERVICE} in ${ENVIRONMENT}: another run changed the release during the watch (an on-call rollback or a newer deploy); this release is not the one serving customers" ;;
  recovered) headline="🛟 ${SERVICE} in ${ENVIRONMENT}: a deploy stopped while traffic was moving (a lost runner or a cancel); the recovery job put traffic where the deploy recorded it must end" ;;
  rollback-failed) headline="❌ Rollback of ${SERVICE} in ${ENVIRONMENT} did not complete (why below)" ;;
  failed-before-traffic) headline="❌ ${SERVICE} failed before any customer traffic moved in ${ENVIRONMENT}: the previous release keeps serving" ;;
  standby-updated) headline="🗄️ ${SERVICE}'s DR standby (${ENVIRONMENT}) runs the release production serves" ;;
  standby-failed) headline="❌ ${SERVICE}'s DR standby (${ENVIRONMENT}) could not be brought to the release production runs: a failover now would serve an older release (why below)" ;;
  cancelled) headline="⏹️ ${SERVICE} deploy to ${ENVIRONMENT} was cancelled: traffic is put back on the previous release" ;;
  *) headline="❌ ${SERVICE} deploy to ${ENVIRONMENT} failed (${OUTCOME:-unknown})" ;;
esac

run_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-unknown}/actions/runs/${GITHUB_RUN_ID:-0}"
details="commit ${GITHUB_SHA:-unknown}"
[ -n "${IMAGE:-}" ] && details="${details}, image ${IMAGE}"
[ -n "${REASON:-}" ] && details="${details}. Why: ${REASON}"
text="${headline}
${details}
${run_url}"

# The text carries inputs (a reason can be anything a person or a tool wrote): between
# stop-commands and its token the runner runs no workflow command, so a line of it that reads
# `::add-mask::…` or `::warning::…` is printed, not obeyed.
stop_token="notify-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
echo "::stop-commands::${stop_token}"
echo "${text}"
echo "::${stop_token}::"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo "### ${headline}"; echo; echo "${details}"; echo; echo "${run_url}"; } >> "${GITHUB_STEP_SUMMARY}"
fi

if [ -z "${WEBHOOK_URL:-}" ]; then
  echo "No Slack webhook given: the message stays in the log and the job summary."
  exit 0
fi
# The URL is a secret: node reads it from the environment, never from a command line. node is on
# every runner (actions run on it), curl is not on every self-hosted one.
for attempt in 1 2 3; do
  if TEXT="${text}" node -e '
    fetch(process.env.WEBHOOK_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: process.env.TEXT }),
      signal: AbortSignal.timeout(10000),
    }).then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1));
  '; then
    echo "Slack notified."
    exit 0
  fi
  echo "Slack did not take the message (attempt ${attempt} of 3)."
  [ "${attempt}" -lt 3 ] && sleep $((attempt * 2))
done
echo "::warning::Slack could not be notified after 3 attempts; the deploy's own result stands."
exit 0
