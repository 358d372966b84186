#!/usr/bin/env python3
"""Who the CPUs wait for: idle CPU time blamed on where the backfill's
timely workers were sleeping.

Record a window of a running backfill system-wide, then read it:

    BIN=$CARGO_TARGET_DIR/release/tickflow
    $BIN backfill --input U.parquet --output OUT -q & sleep 8
    perf record -a -e sched:sched_switch --call-graph dwarf,16384 -o sw.data sleep 8
    perf script -i sw.data -F cpu,tid,time,trace,ip,sym > sw.txt
    python3 bench/idle_blame.py sw.txt

Each stretch a CPU spends in the idle task is added to the sleeping
workers' last switch-out stacks (their first frames of interest), so the
total is the idle CPU time of the window and each line says what the
workers were waiting in meanwhile.
"""
import collections
import re
import sys

# Frames that say nothing about why a thread sleeps.
SKIP = ['schedule', '__x64', 'syscall', 'futex', 'do_', 'entry_SYSCALL', '__sched',
        'pthread_cond', '__GI', '__lll', '0x', 'io_schedule', '[unknown]',
        'Thread>::park', 'recv::{{closure}}', 'mpmc::array::Channel<T>::recv',
        'thread::functions::park']
HEAD = re.compile(r'\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+prev_comm=(.*?) prev_pid=(\d+) '
                  r'.*prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)')


def frames(lines, n=3):
    out = []
    for line in lines:
        parts = line.strip().split(None, 1)
        sym = re.sub(r'::h[0-9a-f]{16}', '', parts[1] if len(parts) > 1 else '?')
        if not any(s in sym for s in SKIP):
            out.append(sym[:70])
            if len(out) == n:
                break
    return ' | '.join(out)


def main(path):
    sleeping = {}  # tid -> (comm, where)
    idle_since = {}  # cpu -> time its idle task started
    blame = collections.Counter()
    total = 0.0
    for event in open(path).read().split('\n\n'):
        lines = event.strip().split('\n')
        m = HEAD.match(lines[0]) if lines and lines[0].strip() else None
        if not m:
            continue
        cpu, t = int(m.group(2)), float(m.group(3))
        comm, prev, state, nxt = m.group(4), int(m.group(5)), m.group(6), int(m.group(8))
        if prev == 0 and cpu in idle_since:
            d = t - idle_since.pop(cpu)
            total += d
            asleep = sorted(v for v in sleeping.values() if v[0].startswith('timely'))
            blame[' || '.join(f'{c}: {w}' for c, w in asleep) or 'no worker asleep'] += d
        if nxt == 0:
            idle_since[cpu] = t
        sleeping.pop(nxt, None)
        if prev != 0 and state not in ('R', 'R+'):
            sleeping[prev] = (comm, frames(lines[1:]))
    print(f'idle cpu-seconds {total:.2f}')
    for k, v in blame.most_common(12):
        print(f'{v:6.2f} {k}')


if __name__ == '__main__':
    main(sys.argv[1])
