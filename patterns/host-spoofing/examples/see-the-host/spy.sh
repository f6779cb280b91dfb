#!/bin/sh
# Look around: which processes and which network does this container see?
# With the host's PID and network namespaces, the answer is: the host's.

echo "PID 1 here is: $(cat /proc/1/comm)"
echo "processes visible: $(ls -d /proc/[0-9]* | wc -l)"

echo "container engine processes:"
ps -o pid,comm | grep -E ' (dockerd|containerd)$' || echo "  (none visible)"

echo "network interfaces: [$(ls /sys/class/net | xargs)]"
echo "hostname: $(hostname)"
