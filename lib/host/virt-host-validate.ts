/** One line of `virt-host-validate qemu`: "  QEMU: Checking for X   : PASS|WARN|FAIL (detail)". */
export interface ValidateLine {
  check: string;
  status: 'PASS' | 'WARN' | 'FAIL';
  detail: string;
}

export function parseVirtHostValidate(out: string): ValidateLine[] {
  const lines: ValidateLine[] = [];
  for (const l of out.split('\n')) {
    const m = /^\s*QEMU:\s*Checking (?:for |if )?(.*?)\s*:\s*(PASS|WARN|FAIL)\s*(?:\((.*)\))?\s*$/.exec(l);
    if (m) lines.push({ check: m[1]!, status: m[2] as ValidateLine['status'], detail: m[3] ?? '' });
  }
  return lines;
}

/** Checks about KVM itself: when they fail the lab still runs, under TCG. */
export function isKvmCheck(l: ValidateLine): boolean {
  return /hardware virtualization|\/dev\/kvm|kvm/i.test(l.check);
}
