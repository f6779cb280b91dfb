#!/bin/sh
# Look around: which processes and which network does this container see?
# With the host's PID and network namespaces, the answer is: the host's.

echo "PID 1 here is: $(cat /proc/1/comm)"
echo "processes visible: $(ls -d /proc/[0-9]* | wc -l)"

echo "container engine processes:"
ps -o pid,comm | grep -E ' (dockerd|containerd)$' || echo "  (none visible)"

# Signal 0 changes nothing; it only asks whether a signal would be allowed.
for pid in $(pidof dockerd); do
  if kill -0 "$pid" 2>/dev/null; then
    echo "signalling dockerd ($pid): allowed"
  else
    echo "signalling dockerd ($pid): refused"
  fi
done

echo "network interfaces: [$(ls /sys/class/net | xargs)]"
echo "hostname: $(hostname)"
