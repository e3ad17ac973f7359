import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { realClock } from '../../src/core/clock.js';
import { ShellyGen2Simulator } from '../../src/meters/shelly/sim-gen2.js';
import {
  type DigestChallenge,
  DigestHttpClient,
  digestAuthorization,
  digestResponse,
  parseDigestChallenge,
} from '../../src/transport/digest.js';

describe('digest response (RFC test vectors)', () => {
  // RFC 7616 §3.9.1
  const rfc7616 = {
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    qopAuth: true,
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  };
  const input = {
    user: 'Mufasa',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nc: 1,
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };

  it('matches the RFC 7616 SHA-256 example', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256' }, input)).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('matches the RFC 7616 MD5 example', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'MD5' }, input)).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('matches the RFC 2617 MD5 example', () => {
    const ch: DigestChallenge = {
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      algorithm: 'MD5',
      qopAuth: true,
    };
    expect(digestResponse(ch, { ...input, password: 'Circle Of Life', nc: 1, cnonce: '0a4f113b' })).toBe(
      '6629fae49393a05397450978507c4ef1',
    );
  });

  it('builds an Authorization header with every field the server checks', () => {
    const h = digestAuthorization({ ...rfc7616, algorithm: 'SHA-256' }, input);
    expect(h).toBe(
      'Digest username="Mufasa", realm="http-auth@example.org", ' +
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", algorithm=SHA-256, ' +
        'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", qop=auth, nc=00000001, ' +
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    );
    expect(h).not.toContain('Circle of Life');
  });
});

describe('parseDigestChallenge', () => {
  it('reads the challenge a Shelly Gen2 sends', () => {
    expect(
      parseDigestChallenge(
        'Digest qop="auth", realm="shellyproem50-aabbccddeeff", nonce="60dc59c6", algorithm=SHA-256',
      ),
    ).toEqual({
      realm: 'shellyproem50-aabbccddeeff',
      nonce: '60dc59c6',
      algorithm: 'SHA-256',
      qopAuth: true,
    });
  });

  it('prefers SHA-256 when MD5 is offered too, and keeps commas inside quotes', () => {
    const ch = parseDigestChallenge(
      'Digest realm="a, b", qop="auth,auth-int", algorithm=MD5, nonce="n1", ' +
        'Digest realm="a, b", qop="auth", algorithm=SHA-256, nonce="n2", opaque="o"',
    );
    expect(ch).toEqual({ realm: 'a, b', nonce: 'n2', algorithm: 'SHA-256', qopAuth: true, opaque: 'o' });
  });

  it('defaults to MD5 without qop (RFC 2069 form)', () => {
    expect(parseDigestChallenge('Digest realm="r", nonce="n"')).toEqual({
      realm: 'r',
      nonce: 'n',
      algorithm: 'MD5',
      qopAuth: false,
    });
  });

  it('answers nothing it cannot compute: Basic, auth-int only, -sess, no nonce', () => {
    expect(parseDigestChallenge('Basic realm="x"')).toBeNull();
    expect(parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-int"')).toBeNull();
    expect(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-256-sess')).toBeNull();
    expect(parseDigestChallenge('Digest realm="r"')).toBeNull();
    expect(parseDigestChallenge(undefined)).toBeNull();
  });
});

describe('DigestHttpClient against a device with digest auth', () => {
  let sim: ShellyGen2Simulator;
  const clients: DigestHttpClient[] = [];
  const client = (password?: string) => {
    const c = new DigestHttpClient({
      baseUrl: `http://127.0.0.1:${sim.port}`,
      user: 'admin',
      ...(password !== undefined ? { password } : {}),
      timeoutMs: 3000,
      clock: realClock,
      log: pino({ level: 'silent' }),
    });
    clients.push(c);
    return c;
  };
  const PATH = '/rpc/EM1.GetStatus?id=0';

  beforeEach(async () => {
    sim = new ShellyGen2Simulator({ password: 's3cret pass' });
    await sim.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await sim.stop();
  });

  it('answers the challenge once, then reuses the nonce with a growing nc', async () => {
    const c = client('s3cret pass');
    expect((await c.get(PATH)).status).toBe(200);
    expect((await c.get(PATH)).status).toBe(200);
    const seen = sim
      .requestsTo('GET', PATH)
      .map((r) => /nc=(\w+)/.exec(r.authorization ?? '')?.[1] ?? 'none');
    expect(seen).toEqual(['none', '00000001', '00000002']);
  });

  it('takes a fresh challenge when the device forgot the nonce', async () => {
    const c = client('s3cret pass');
    await c.get(PATH);
    sim.expireNonces();
    expect((await c.get(PATH)).status).toBe(200);
    expect(sim.requestsTo('GET', PATH)).toHaveLength(4);
  });

  it('retries a wrong password only once and hands back the 401', async () => {
    const c = client('wrong');
    expect((await c.get(PATH)).status).toBe(401);
    expect(sim.requestsTo('GET', PATH)).toHaveLength(2);
  });

  it('sends no Authorization without a password', async () => {
    const c = client();
    expect((await c.get(PATH)).status).toBe(401);
    expect(sim.requestsTo('GET', PATH).map((r) => r.authorization)).toEqual([undefined]);
  });
});
