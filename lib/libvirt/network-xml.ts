import { create } from 'xmlbuilder2';

/**
 * The isolated replication network: a bridge with no <ip> and no <forward>, so libvirt starts
 * no dnsmasq and gives the host no address on it. Guests talk to each other; the host cannot.
 */
export function renderNetworkXml(spec: { name: string; bridge: string }): string {
  if (spec.bridge.length > 15) throw new Error(`bridge name ${spec.bridge} is longer than 15 characters`);
  const doc = {
    network: {
      name: spec.name,
      bridge: { '@name': spec.bridge, '@stp': 'off', '@delay': '0' },
    },
  };
  return create(doc).end({ prettyPrint: true, headless: true }) + '\n';
}
