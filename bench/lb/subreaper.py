#!/usr/bin/env python3
"""subreaper.py COMMAND [ARGS...]: runs COMMAND as a child subreaper and reaps what it orphans.

monit waits for a start program to exit, so its program starts the backend in the background
and exits: the backend is orphaned. Its new parent would be PID 1, which in a container may not
reap it for seconds, and a killed backend then lingers as a zombie that monit may still take
for a running process. Here this process is the new parent (PR_SET_CHILD_SUBREAPER) and reaps at
once. SIGTERM/SIGINT: forwarded to COMMAND; every orphan left is then killed and reaped, and
this process exits with COMMAND's status.
"""
import ctypes
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36


def children():
    me, out = os.getpid(), []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
                if int(stat[stat.rindex(")") + 2:].split()[1]) == me:
                    out.append(int(d))
            except (OSError, ValueError):
                pass
    return out


def main():
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("subreaper: prctl failed", file=sys.stderr)
    child = os.fork()
    if child == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    while True:
        try:
            pid, st = os.wait()
        except ChildProcessError:
            break
        if pid == child:
            status = os.waitstatus_to_exitcode(st)
            for orphan in children():  # COMMAND is gone: nothing supervises these any more
                try:
                    os.kill(orphan, signal.SIGCONT)
                    os.kill(orphan, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    sys.exit(max(status, 0))


if __name__ == "__main__":
    main()
