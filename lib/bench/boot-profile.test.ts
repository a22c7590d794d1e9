import { describe, expect, it } from 'vitest';
import { durationSeconds, parseBlame, parseSystemdAnalyze, parseUnitCpu } from './boot-profile.js';

describe('boot profile parsers', () => {
  it('systemd-analyze: a direct kernel boot has kernel, initrd and userspace; firmware and loader only where present', () => {
    expect(parseSystemdAnalyze('Startup finished in 9.812s (kernel) + 3.201s (initrd) + 1min 2.345s (userspace) = 1min 15.358s')).toEqual({ kernel: 9.812, initrd: 3.201, userspace: 62.345 });
    expect(parseSystemdAnalyze('Startup finished in 1.5s (firmware) + 812ms (loader) + 2.1s (kernel) + 5s (userspace) = 9.412s')).toEqual({ firmware: 1.5, loader: 0.812, kernel: 2.1, userspace: 5 });
    expect(parseSystemdAnalyze('Bootup is not yet finished (org.freedesktop.systemd1.Manager.FinishTimestampMonotonic=0).')).toEqual({});
  });

  it('durations in systemd\'s words', () => {
    expect(durationSeconds('1min 2.345s')).toBe(62.345);
    expect(durationSeconds('812ms')).toBe(0.812);
    expect(durationSeconds('1h 1min')).toBe(3660);
  });

  it('blame: units with their seconds, slowest first as systemd prints them', () => {
    const text = ' 1min 1.202s cloud-init-local.service\n     28.114s dev-vda.device\n       812ms systemd-journald.service\n';
    expect(parseBlame(text)).toEqual([
      { unit: 'cloud-init-local.service', seconds: 61.202 },
      { unit: 'dev-vda.device', seconds: 28.114 },
      { unit: 'systemd-journald.service', seconds: 0.812 },
    ]);
    expect(parseBlame(text, 1)).toHaveLength(1);
  });

  it('CPU per unit: most first, in seconds; units without a figure left out', () => {
    const text = 'Id=ssh.service\nCPUUsageNSec=812000000\n\nId=init.scope\nCPUUsageNSec=[not set]\n\nId=systemd-udevd.service\nCPUUsageNSec=2501000000\n\nId=dbus.service\nCPUUsageNSec=1000\n';
    expect(parseUnitCpu(text)).toEqual([
      { unit: 'systemd-udevd.service', cpuSeconds: 2.501 },
      { unit: 'ssh.service', cpuSeconds: 0.812 },
      { unit: 'dbus.service', cpuSeconds: 0 },
    ]);
    expect(parseUnitCpu(text, 1)).toEqual([{ unit: 'systemd-udevd.service', cpuSeconds: 2.501 }]);
  });
});
