#!/bin/bash
# usage: measure-targets.sh NEWDIR OLDDIR [ROUNDS]
# The five Scale II figures (docs/benchmarks.md, "Round three"), two trees alternated:
# each DIR holds a built `nudges` and `loadgen`. Every server listens on 127.0.0.1
# (ports 20700-20760); every run stops by itself. Prints the raw lines, one "###"
# header per run with the load average when it started.
set -u
NEW=$1; OLD=$2; ROUNDS=${3:-3}
W=${MEASURE_DIR:-/tmp/nudges-targets}; mkdir -p $W
la() { cut -d' ' -f1-3 /proc/loadavg; }
inbound() { # DIR: fresh database, the server on 127.0.0.1:20750, loadgen against it and a bare handler
  d=$1; rm -rf $W/inbound; mkdir -p $W/inbound
  $d/loadgen -seed $W/inbound/n.db >/dev/null
  NUDGES_SEND_WINDOW=off NUDGES_DB=$W/inbound/n.db NUDGES_ADDR=127.0.0.1:20750 NUDGES_PUBLIC_URL=http://localhost:20750 \
    TWILIO_ACCOUNT_SID=AC1 TWILIO_AUTH_TOKEN=tok123 TWILIO_FROM_NUMBER=+15550000000 TWILIO_API_BASE=http://127.0.0.1:9 \
    $d/nudges > $W/inbound/server.log 2>&1 &
  pid=$!
  for i in $(seq 1 200); do curl -s -o /dev/null 127.0.0.1:20750/readyz && break; sleep 0.05; done
  $d/loadgen -url http://127.0.0.1:20750 -public http://localhost:20750 -token tok123 -phones 32 -duration 10s 2>&1 | grep -E "req/s|p50|ratio"
  kill $pid; wait $pid 2>/dev/null
}
for r in $(seq 1 $ROUNDS); do
  for v in new old; do
    d=$NEW; [ $v = old ] && d=$OLD
    cd $d || exit 1
    echo "### round $r $v five-lists load $(la) $(date +%T)"
    ./loadgen -cluster ./nudges -procs 3 -members 3 -port 20700 -phones 32 -duration 10s 2>&1 | grep -E "req/s|p50|conflict|error"
    echo "### round $r $v hot load $(la) $(date +%T)"
    ./loadgen -cluster ./nudges -procs 3 -members 3 -port 20700 -phones 32 -duration 10s -hot 2>&1 | grep -E "req/s|p50|conflict|error"
    echo "### round $r $v bbolt1 load $(la) $(date +%T)"
    ./loadgen -cluster ./nudges -procs 1 -members 0 -port 20700 -phones 32 -duration 10s 2>&1 | grep -E "req/s|p50|conflict|error"
    echo "### round $r $v inbound load $(la) $(date +%T)"
    inbound $d
    for n in 100000 1000000; do
      echo "### round $r $v fan$n load $(la) $(date +%T)"
      timeout 600 ./loadgen -broadcast ./nudges -subscribers $n -phones 16 -phase 3s -during 3m -addr 127.0.0.1:20760 \
        -baseline=false -retention=false 2>&1 | grep -E "latency|fan-out|req/s"
    done
  done
done
