"""A tiny ps for an image without procps: every process, its parent and state.

Zombies are shown the way ps shows them, with state Z and `<defunct>`; the last
line counts them.
"""

import os

print(f"{'PID':>5} {'PPID':>5} S COMMAND")
zombies = 0
for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read()
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            args = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        continue  # it ended while we looked
    # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
    name = fields[fields.index("(") + 1 : fields.rindex(")")]
    state, ppid = fields[fields.rindex(")") + 2 :].split()[:2]
    if state == "Z":
        zombies += 1
        args = f"[{name}] <defunct>"
    print(f"{pid:>5} {ppid:>5} {state} {args or '[' + name + ']'}")
print(f"{zombies} zombies")
