#!/usr/bin/env bash
# Host setup for drbdlab: Debian packages the lab needs, and libvirt daemons where no
# systemd runs as PID 1. Idempotent: safe to run before every job.
set -euo pipefail

PKGS=(
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
  mmdebstrap e2fsprogs genisoimage openssh-client iproute2
  chromium  # headless check of the HTML report (tests/unit/report-browser.test.ts)
  apt-utils # apt-ftparchive: the loopback apt repository of tests/integration/freshness.test.ts
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "host-setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends keeps dnsmasq & co. out; the lab never uses libvirt's NAT network.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Network rule: libvirt's NAT network must never run; drop its autostart before libvirtd starts.
rm -f /etc/libvirt/qemu/networks/autostart/default.xml

# Without udev the device nodes keep the kernel's defaults (/dev/kvm root:root 0600), and libvirt
# runs QEMU as libvirt-qemu (group kvm): KVM then fails with "Permission denied" and libvirt
# re-probes QEMU's capabilities on every define (72 s each). Give them what Debian's udev rules
# (50-udev-default.rules) give them.
if ! pgrep -x systemd-udevd >/dev/null && ! pgrep -x udevd >/dev/null; then
  getent group kvm >/dev/null || groupadd --system kvm
  for dev in /dev/kvm /dev/vhost-net /dev/vhost-vsock; do
    [ -c "$dev" ] && { chgrp kvm "$dev"; chmod 0660 "$dev"; }
  done
  [ -c /dev/net/tun ] && chmod 0666 /dev/net/tun
fi

# A daemon keeps every descriptor it inherits: started under a lock (`flock <file> bash
# scripts/host-setup.sh …`) it would hold the lock for as long as it runs, after the job is done.
# Daemons get stdin, stdout and stderr only.
start_daemon() {
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ] && [ -e "/proc/self/fd/$fd" ]; then eval "exec $fd>&-"; fi
    done
    exec "$@"
  )
}

# Without systemd the daemons are started by hand (virtlogd first: libvirtd needs it for consoles).
if [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ]; then
  pgrep -x virtlogd >/dev/null || start_daemon virtlogd -d
  pgrep -x libvirtd >/dev/null || start_daemon libvirtd -d
fi

for _ in $(seq 1 50); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
virsh -c qemu:///system version >/dev/null 2>&1 || { echo "host-setup: libvirtd does not answer on qemu:///system" >&2; exit 1; }

# Network rule: libvirt's NAT network must never run. Stop it and keep it from autostarting.
if virsh -c qemu:///system net-info default >/dev/null 2>&1; then
  virsh -c qemu:///system net-autostart default --disable >/dev/null 2>&1 || true
  virsh -c qemu:///system net-destroy default >/dev/null 2>&1 || true
fi
echo "host-setup: ok"
