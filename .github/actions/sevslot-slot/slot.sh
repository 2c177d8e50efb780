#!/bin/sh
# The sevslot-slot action: allocate this job's slot, or release it.
# Environment: SEVSLOT (a command, split at spaces), MODEL, RELEASE,
# WAIT_MINUTES, and what GitHub sets: RUNNER_NAME, GITHUB_RUN_ID,
# GITHUB_RUN_ATTEMPT, GITHUB_JOB, GITHUB_OUTPUT.
set -eu
sevslot=${SEVSLOT:-sevslot}
model=${MODEL:-amd-sev}
clean() { printf %s "$1" | tr -c 'A-Za-z0-9._-' _; }
# A runner runs one job at a time: its name, the run, the attempt and the job
# name the consumer, and the runner's name alone is what its jobs share.
prefix="gha-$(clean "${RUNNER_NAME:-runner}")-"
consumer=$(printf %s "$prefix${GITHUB_RUN_ID:?}-${GITHUB_RUN_ATTEMPT:-1}-$(clean "${GITHUB_JOB:-job}")" |
	cut -c1-255)

if [ "${RELEASE:-false}" = true ]; then
	# shellcheck disable=SC2086
	$sevslot release "$consumer"
	echo "released the slot of $consumer"
	exit 0
fi

# shellcheck disable=SC2086
if ! verdict=$($sevslot probe 2>&1); then
	printf '%s\n' "$verdict" | tail -n 1
	echo "::error::this runner cannot run SEV guests (sevslot probe)"
	exit 69
fi

# A slot this runner still holds belongs to an earlier job that died before
# its release step ran: give it back before taking one.
# shellcheck disable=SC2086
listing=$($sevslot list --json)
printf %s "$listing" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["allocations"]:
    if a["consumer"].startswith(sys.argv[1]):
        print(a["consumer"])' "$prefix" |
while read -r stale; do
	[ "$stale" = "$consumer" ] && continue
	echo "releasing $stale: left by an earlier job on this runner"
	# shellcheck disable=SC2086
	$sevslot release "$stale" > /dev/null
done

# Pool full (exit 75): wait for another job to release, up to WAIT_MINUTES.
deadline=$(( $(date +%s) + ${WAIT_MINUTES:-30} * 60 ))
while :; do
	code=0
	# shellcheck disable=SC2086
	out=$($sevslot allocate "$consumer" --model "$model" --json) || code=$?
	[ "$code" = 0 ] && break
	if [ "$code" != 75 ]; then
		echo "::error::sevslot allocate $consumer --model $model exited $code"
		exit "$code"
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "::error::no free $model slot on this runner after ${WAIT_MINUTES:-30} minutes"
		exit 75
	fi
	sleep 15
done
printf %s "$out" | python3 -c '
import json, sys
a = json.load(sys.stdin)
with open(sys.argv[1], "a") as out:
    for key in ("slot", "model", "pool", "consumer"):
        out.write("%s=%s\n" % (key, a[key]))
print("%s holds slot %d of pool %s" % (a["consumer"], a["slot"], a["pool"]))' "${GITHUB_OUTPUT:?}"
