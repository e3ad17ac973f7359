/**
 * The OpenEVSE v5 claim arbitration of the simulator (README.md beside this file, Protocol notes): the claims
 * by client, the effective target (each property from the highest-priority claim that sets it),
 * and the HTTP endpoints `/override`, `/claims`, `/claims/target`, `/claims/<client>`.
 */
import { asJsonObject, type SimReply } from '../../sim/http-sim.js';
import { CLIENT, type ClaimProperties, PRIORITY } from './wire.js';

/** One client's claim. */
export interface Claim {
  priority: number;
  props: ClaimProperties;
}

/** The effective target and, per property, the client it comes from. */
export interface ClaimTarget {
  props: Required<Pick<ClaimProperties, 'state'>> & ClaimProperties;
  owners: Record<string, number>;
}

/** The firmware keeps at most this many claims; a new client beyond it is refused. */
const MAX_CLAIMS = 10;

/** Claims by client id, with the firmware's `claims_version` and `override_version` counters. */
export class ClaimTable {
  claimsVersion = 1;
  overrideVersion = 1;
  private readonly claims = new Map<number, Claim>();

  /** A client's claim. */
  get(client: number): Claim | undefined {
    return this.claims.get(client);
  }

  /** Client ids holding claims. */
  clients(): number[] {
    return [...this.claims.keys()];
  }

  /** Sets (replaces) a client's claim. */
  set(client: number, claim: Claim): void {
    this.claims.set(client, claim);
    this.bump(client);
  }

  /** Releases a client's claim; false when it held none. */
  delete(client: number): boolean {
    if (!this.claims.delete(client)) return false;
    this.bump(client);
    return true;
  }

  /** The vehicle left: claims with auto_release (the default) end (plugging out ends the session). */
  releaseOnUnplug(): void {
    for (const [client, claim] of this.claims)
      if (claim.props.auto_release !== false) this.claims.delete(client);
    this.claimsVersion += 1;
  }

  /** Effective target: each property from the highest-priority claim that sets it. */
  target(defaultActive: boolean): ClaimTarget {
    const owners: Record<string, number> = {};
    const props: ClaimProperties = {};
    for (const key of ['state', 'charge_current', 'max_current', 'auto_release'] as const) {
      let best: { client: number; claim: Claim } | undefined;
      for (const [client, claim] of this.claims) {
        if (claim.props[key] === undefined) continue;
        if (!best || claim.priority > best.claim.priority) best = { client, claim };
      }
      if (best) {
        (props as Record<string, unknown>)[key] = best.claim.props[key];
        if (key !== 'auto_release') owners[key] = best.client;
      }
    }
    return { props: { ...props, state: props.state ?? (defaultActive ? 'active' : 'disabled') }, owners };
  }

  /** GET /claims: every claim with its client and priority. */
  list(): Array<Record<string, unknown>> {
    return [...this.claims].map(([client, c]) => ({
      client,
      priority: c.priority,
      auto_release: true,
      ...c.props,
    }));
  }

  private bump(client: number): void {
    this.claimsVersion += 1;
    if (client === CLIENT.manual) this.overrideVersion += 1;
  }
}

/** What the claim endpoints need of the simulator. */
export interface ClaimHost {
  readonly claims: ClaimTable;
  readonly maxCurrentSoft: number;
  target(): ClaimTarget;
  /** The EVSE is active now (for PATCH /override, which toggles). */
  isActive(): boolean;
  setOverride(props: ClaimProperties): void;
  clearOverride(): void;
  /** Something a client can see changed (pushes it on /ws). */
  changed(): void;
}

/** Answers the claim endpoints; undefined for any other path. */
export function claimsRequest(
  host: ClaimHost,
  method: string,
  path: string,
  json: unknown,
): SimReply | undefined {
  if (path === '/override') return overrideRequest(host, method, json);
  if (path === '/claims') return method === 'GET' ? ok(host.claims.list()) : notAllowed();
  if (path === '/claims/target') {
    const t = host.target();
    return ok({
      properties: { ...t.props, max_current: t.props.max_current ?? host.maxCurrentSoft },
      claims: t.owners,
    });
  }
  const claim = /^\/claims\/(\d+)$/.exec(path);
  if (claim) return clientRequest(host, method, Number(claim[1]), json);
  return undefined;
}

function overrideRequest(host: ClaimHost, method: string, json: unknown): SimReply {
  const current = host.claims.get(CLIENT.manual);
  switch (method) {
    case 'GET':
      return ok(current ? { auto_release: true, ...current.props } : {});
    case 'POST': {
      const body = asJsonObject(json);
      if (!body) return { status: 400, body: { msg: 'Failed to parse JSON' } };
      host.setOverride(pickClaim(body));
      return { status: 201, body: { msg: 'Created' } };
    }
    case 'PATCH':
      if (current) host.clearOverride();
      else host.setOverride({ state: host.isActive() ? 'disabled' : 'active' });
      return ok({ msg: 'Updated' });
    case 'DELETE':
      if (!current) return { status: 500, body: { msg: 'Failed to release manual overide' } };
      host.clearOverride();
      return ok({ msg: 'Deleted' });
    default:
      return notAllowed();
  }
}

function clientRequest(host: ClaimHost, method: string, client: number, json: unknown): SimReply {
  const claims = host.claims;
  switch (method) {
    case 'GET': {
      const c = claims.get(client);
      return c ? ok(c.props) : { status: 404, body: { msg: 'Not found' } };
    }
    case 'POST': {
      const body = asJsonObject(json);
      if (!body) return { status: 400, body: { msg: 'Could not parse JSON' } };
      if (!claims.get(client) && claims.clients().length >= MAX_CLAIMS)
        return { status: 400, body: { msg: 'Could not make claim' } };
      claims.set(client, { priority: PRIORITY.api, props: pickClaim(body) });
      host.changed();
      return ok({ msg: 'done' });
    }
    case 'DELETE':
      if (!claims.delete(client)) return { status: 404, body: { msg: 'Not found' } };
      host.changed();
      return ok({ msg: 'done' });
    default:
      return notAllowed();
  }
}

/** A JSON 200 reply. */
export function ok(body: unknown): SimReply {
  return { status: 200, body };
}

/** The firmware's 405. */
export function notAllowed(): SimReply {
  return { status: 405, body: { msg: 'Method not allowed' } };
}

/** The claim properties of a request body; auto_release defaults to true. */
function pickClaim(body: Record<string, unknown>): ClaimProperties {
  const out: ClaimProperties = {};
  if (body.state === 'active' || body.state === 'disabled') out.state = body.state;
  if (typeof body.charge_current === 'number') out.charge_current = body.charge_current;
  if (typeof body.max_current === 'number') out.max_current = body.max_current;
  out.auto_release = typeof body.auto_release === 'boolean' ? body.auto_release : true;
  return out;
}
