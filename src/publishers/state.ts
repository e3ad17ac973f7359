import { json, type PublisherContext } from './context.js';

/**
 * Zigbee2MQTT-style JSON topics: `<base>/<id>` (state) and `<base>/<id>/availability`, retained,
 * QoS 1, published on every change and republished after a reconnect or HA's birth message.
 */
export class StatePublisher {
  constructor(private readonly ctx: PublisherContext) {}

  start(): void {
    const { bus } = this.ctx;
    bus.on(this, 'device.state', ({ id, state }) => void this.publishState(id, state));
    bus.on(this, 'device.plan', ({ id, plan }) => void this.publishPlan(id, plan));
    bus.on(this, 'device.session', ({ id, session }) => void this.publishSession(id, session));
    bus.on(this, 'device.availability', ({ id, online }) => void this.publishAvailability(id, online));
  }

  stop(): void {
    this.ctx.bus.off(this);
  }

  /** Every known state and availability again. */
  async republish(): Promise<void> {
    const jobs: Array<Promise<void>> = [];
    for (const d of this.ctx.devices()) {
      if (d.attempted) jobs.push(this.publishAvailability(d.id, d.online));
      if (Object.keys(d.current).length > 0) jobs.push(this.publishState(d.id, d.current));
      if (d.plan) jobs.push(this.publishPlan(d.id, d.plan));
      if (d.session) jobs.push(this.publishSession(d.id, d.session));
    }
    await Promise.all(jobs);
  }

  private publishState(id: string, state: Readonly<Record<string, unknown>>): Promise<void> {
    return this.ctx.conn.publish(`${this.ctx.cfg.mqtt.base_topic}/${id}`, json(state), { retain: true });
  }

  private publishPlan(id: string, plan: Readonly<Record<string, unknown>>): Promise<void> {
    return this.ctx.conn.publish(`${this.ctx.cfg.mqtt.base_topic}/${id}/plan`, json(plan), { retain: true });
  }

  /** `<base>/<id>/session`, retained; none to show clears it (docs/sessions.md). */
  private publishSession(id: string, session: Readonly<Record<string, unknown>> | null): Promise<void> {
    const topic = `${this.ctx.cfg.mqtt.base_topic}/${id}/session`;
    return this.ctx.conn.publish(topic, session ? json(session) : '', { retain: true });
  }

  private publishAvailability(id: string, online: boolean): Promise<void> {
    return this.ctx.conn.publish(
      `${this.ctx.cfg.mqtt.base_topic}/${id}/availability`,
      json({ state: online ? 'online' : 'offline' }),
      { retain: true },
    );
  }
}
