/** One simulated device on the demo's first screen. */
export interface BannerDevice {
  id: string;
  /** What it simulates, e.g. "OpenEVSE (HTTP + WebSocket)". */
  what: string;
  port: number;
  /** What it does in the demo, e.g. "mode solar: charges from the PV surplus". */
  role: string;
}

/** What the demo's first screen names. */
export interface BannerInfo {
  /** Where the embedded broker listens. */
  brokerHost: string;
  brokerPort: number;
  baseTopic: string;
  chargers: BannerDevice[];
  meters: BannerDevice[];
  /** How the simulated day runs, one line. */
  day: string;
  /** Further lines (other parts of the demo add theirs), each "label  text". */
  extra?: Array<[string, string]>;
}

/**
 * The demo's first screen, a few lines: what runs and on which loopback ports, where the broker
 * is, and what to try (a subscriber for everything, commands that change a mode and a current).
 */
export function demoBanner(b: BannerInfo): string[] {
  const hp = `-h ${b.brokerHost} -p ${b.brokerPort}`;
  const idWidth = Math.max(...[...b.chargers, ...b.meters].map((d) => d.id.length));
  const device = (d: BannerDevice) =>
    `${d.id.padEnd(idWidth)}  ${b.brokerHost}:${d.port}  ${d.what}: ${d.role}`;
  const block = (label: string, items: string[]) =>
    items.map((text, i) => `  ${(i === 0 ? label : '').padEnd(9)}${text}`);
  return [
    'evse2mqtt DEMO: simulated chargers and meters speaking their real protocols on loopback',
    ...block('broker', [`${b.brokerHost}:${b.brokerPort} (embedded, MQTT 3.1.1, no password)`]),
    ...block('chargers', b.chargers.map(device)),
    ...block('meters', b.meters.map(device)),
    ...block('day', [b.day]),
    ...(b.extra ?? []).flatMap(([label, text]) => block(label, [text])),
    ...block('watch', [`mosquitto_sub ${hp} -t '${b.baseTopic}/#' -v`]),
    ...block('try', [
      `mosquitto_pub ${hp} -t ${b.baseTopic}/demo-openevse/set/mode -m fast`,
      `mosquitto_pub ${hp} -t ${b.baseTopic}/demo-pulsatrix/set/charge_current -m 10`,
      `mosquitto_pub ${hp} -t ${b.baseTopic}/demo-quasar/set/charge_current -m -10   # discharge; set/mode load_follow hands it back`,
    ]),
  ];
}
