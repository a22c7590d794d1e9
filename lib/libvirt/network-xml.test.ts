import { create } from 'xmlbuilder2';
import { describe, expect, it } from 'vitest';
import { renderNetworkXml } from './network-xml.js';

interface El {
  localName: string;
  nodeType: number;
  textContent: string | null;
  childNodes: ArrayLike<El>;
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<El>;
}

const xml = renderNetworkXml({ name: 'drbdlab-abc123-repl', bridge: 'dlab-abc123' });
const net = create(xml).root().node as unknown as El;
const elements = (name: string) => Array.from(net.getElementsByTagName(name));

describe('renderNetworkXml', () => {
  it('is an isolated bridge: no <ip>, no <forward>, no <dhcp>', () => {
    expect(net.localName).toBe('network');
    for (const n of ['ip', 'forward', 'dhcp', 'dns', 'domain']) expect(elements(n), `<${n}>`).toHaveLength(0);
    // Only <name> and <bridge> at the top.
    const top = Array.from(net.childNodes).filter((c) => c.nodeType === 1).map((c) => c.localName);
    expect(top).toEqual(['name', 'bridge']);
  });

  it('names the network and the bridge, with STP off', () => {
    expect(elements('name')[0]!.textContent).toBe('drbdlab-abc123-repl');
    const bridge = elements('bridge')[0]!;
    expect(bridge.getAttribute('name')).toBe('dlab-abc123');
    expect(bridge.getAttribute('stp')).toBe('off');
    expect(bridge.getAttribute('delay')).toBe('0');
  });

  it('accepts a 15-character bridge name and refuses 16', () => {
    expect(() => renderNetworkXml({ name: 'n', bridge: 'x'.repeat(15) })).not.toThrow();
    expect(() => renderNetworkXml({ name: 'n', bridge: 'dlab-abc123-long' })).toThrow(
      'bridge name dlab-abc123-long is longer than 15 characters',
    );
  });
});
