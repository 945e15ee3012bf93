"""Starts lgc-synth with a Yosys that hangs, stops it with a signal once
every Yosys has started its child, and reports whether the children are
gone: lgc-synth must kill each Yosys's whole process group.

    stop-synth.py SIGNAL JOBS PIDFILE lgc-synth ARGS...
"""
import os
import signal
import subprocess
import sys
import time

sig, jobs, pidfile, cmd = (getattr(signal, sys.argv[1]), int(sys.argv[2]),
                           sys.argv[3], sys.argv[4:])
if os.path.exists(pidfile):
    os.remove(pidfile)
env = dict(os.environ, LGC_SYNTH_TEST_PIDS=pidfile)
# SIGINT as a terminal delivers it: a shell that starts commands in the
# background (a test runner's) leaves them ignoring it.
proc = subprocess.Popen(
    cmd, env=env, stderr=subprocess.PIPE, text=True,
    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def pids():
    try:
        return [int(p) for p in open(pidfile).read().split()]
    except FileNotFoundError:
        return []


deadline = time.time() + 60
while len(pids()) < jobs and time.time() < deadline:
    time.sleep(0.05)
print(f"started: {len(pids())}")
proc.send_signal(sig)
_, err = proc.communicate(timeout=60)
print(f"exit: {proc.returncode}")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its new parent to reap it has stopped running.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


deadline = time.time() + 10
while any(alive(p) for p in pids()) and time.time() < deadline:
    time.sleep(0.05)
print(f"still running: {sum(alive(p) for p in pids())}")
for p in pids():
    if alive(p):
        os.kill(p, signal.SIGKILL)
