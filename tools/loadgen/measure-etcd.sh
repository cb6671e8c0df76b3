#!/bin/bash
# usage: measure-etcd.sh MEMBERS LIST  (MEMBERS 0 = bbolt, 1 or 3 = etcd+embed processes on 127.0.0.1:19100-19199)
# env: NUDGES_BIN, LOADGEN_BIN (built binaries), SPREAD=1 (load on every process), FAILOVER=1 (then kill -9 the dispatcher)
# Members talk over mutual TLS with certificates made in $D/certs by `nudges cert` (a member's
# client port, which the seeding uses, needs them); ports BASE (default 19100) + MEMBERS*20 + 3..12.
set -u
M=$1; LIST=$2
B=${NUDGES_BIN:-/tmp/nudges}; L=${LOADGEN_BIN:-/tmp/loadgen}
D=${MEASURE_DIR:-/tmp/nudges-measure}/m$M; rm -rf $D; mkdir -p $D
pids=(); lp=()
base=$((${BASE:-19100} + M*20))
C=$D/certs
if [ $M != 0 ]; then
  $B cert ca $C >/dev/null || exit 1
  for n in $(seq 1 $M) loadgen; do case $n in loadgen) nm=loadgen;; *) nm=n$n;; esac; $B cert node $C $nm 127.0.0.1 >/dev/null || exit 1; done
fi
cluster=""
for i in $(seq 1 $M); do cluster="$cluster,n$i=https://127.0.0.1:$((base+i*3+1))"; done
cluster=${cluster#,}
start() { # i
  i=$1; http=$((base+i*3)); peer=$((base+i*3+1)); cli=$((base+i*3+2))
  if [ $M = 0 ]; then st="bolt://$D/n.db"; else
  st="etcd+embed://$D/n$i?name=n$i&certs=$C&peer=https://127.0.0.1:$peer&client=https://127.0.0.1:$cli&cluster=$cluster&state=new"; fi
  NUDGES_ADDR=127.0.0.1:$http NUDGES_STORE="$st" NUDGES_SEND_RATE=1 $B > $D/n$i.log 2>&1 &
  pids+=($!)
}
if [ $M = 0 ]; then $L -seed $D/n.db -list $LIST >/dev/null; start 1; else for i in $(seq 1 $M); do start $i; done; fi
for i in $(seq 1 $((M>0?M:1))); do for t in $(seq 1 120); do curl -sf 127.0.0.1:$((base+i*3))/readyz >/dev/null && break; sleep 0.5; done; done
if [ $M != 0 ]; then $L -seed "etcd://127.0.0.1:$((base+5))?cert=$C/loadgen.crt&key=$C/loadgen.key&ca=$C/ca.crt&max-txn-ops=4096" -list $LIST >/dev/null || echo SEEDFAIL; fi
H=$((base+3))
echo "== members=$M turns, 32 phones, 10 s, against n1"
if [ "${SPREAD:-}" = 1 ]; then
  for i in 1 2 3; do h=$((base+i*3)); $L -url http://127.0.0.1:$h -public http://localhost:$h -phones 11 -duration 10s -baseline=false > $D/load$i.txt 2>&1 & lp+=($!); done; wait "${lp[@]}"
  cat $D/load?.txt | grep "req/s\|p99"
else
$L -url http://127.0.0.1:$H -public http://localhost:$H -phones 32 -duration 10s -baseline=false 2>&1 | tail -4
fi
echo "== broadcast to $LIST"
curl -s -XPOST 127.0.0.1:$H/twilio/sms -d From=%2B15559990001 -d To=%2B15550000000 -d Body="Class is on at 7 tonight" -d MessageSid=SMm1 >/dev/null
t0=$(date +%s.%N)
curl -s -XPOST 127.0.0.1:$H/twilio/sms -d From=%2B15559990001 -d To=%2B15550000000 -d Body=CONFIRM -d MessageSid=SMm2 | head -c 200; echo
for t in $(seq 1 2400); do grep -q "fan-out finished" $D/n*.log && break; sleep 0.05; done
t1=$(date +%s.%N)
echo "fan-out: $LIST rows in $(echo "$t1 - $t0" | bc) s = $(echo "$LIST / ($t1 - $t0)" | bc) rows/s"
if [ "${FAILOVER:-}" = 1 ] && [ $M = 3 ]; then
  ldr=$(grep -l "leading" $D/n*.log | head -1); li=$(basename $ldr .log); li=${li#n}
  echo "killing -9 leader n$li"; kill -9 ${pids[$((li-1))]}; k0=$(date +%s.%N)
  for t in $(seq 1 600); do c=$(grep -l "leading" $D/n*.log | grep -v "n$li.log" | head -1); [ -n "$c" ] && break; sleep 0.02; done
  k1=$(date +%s.%N); echo "new leader $c after $(echo "$k1 - $k0" | bc) s"
fi
for p in "${pids[@]}"; do kill $p 2>/dev/null; done; wait "${pids[@]}"
