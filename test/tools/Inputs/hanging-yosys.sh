#!/bin/sh
# Stands in for Yosys in lgc-synth-stop.test: starts a child that would run
# for a long time (as Yosys runs ABC), records its pid, and waits for it.
sleep 600 &
echo $! >> "$LGC_SYNTH_TEST_PIDS"
wait
