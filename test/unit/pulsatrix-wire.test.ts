import { describe, expect, it } from '@jest/globals';
import {
  commandFrames,
  current,
  enable,
  onePhase,
  restBody,
  timeout,
} from '../../src/drivers/pulsatrix/commands.js';
import { PulsatrixDevice } from '../../src/drivers/pulsatrix/sim-device.js';
import { parseDeviceJson, parseFrame, toDeviceJson, wsCommand } from '../../src/drivers/pulsatrix/wire.js';

describe('pulsatrix wire format', () => {
  it('reads bare NaN literals as null, as the SECC prints them in /limits', () => {
    const body = parseDeviceJson('{\n  "amperageLimit":NaN,\n  "powerLimit": -NaN,\n  "timeout": 300000\n}');
    expect(body).toEqual({ amperageLimit: null, powerLimit: null, timeout: 300000 });
  });

  it('leaves NaN inside strings alone', () => {
    expect(parseDeviceJson('{"name":"NaN: not a number","x":NaN}')).toEqual({
      name: 'NaN: not a number',
      x: null,
    });
  });

  it('skips text before the JSON of a frame', () => {
    const f = parseFrame('ws> {"topic":"limits","message":{"amperageLimit":NaN,"timeout":60000}}');
    expect(f).toEqual({ topic: 'limits', message: { amperageLimit: null, timeout: 60000 } });
  });

  it('recognises the topic of a bare body without the envelope', () => {
    expect(parseFrame('{"voltage":[230,230,230],"amperage":[0,0,0]}').topic).toBe('charging');
    expect(parseFrame('{"vehicleStatus":"A","chargeControllerStatus":"A1"}').topic).toBe('transaction');
  });

  it('names what it could not parse', () => {
    expect(() => parseFrame('hello')).toThrow('no JSON object in "hello"');
    expect(() => parseFrame('{"topic":"charging","message":{"voltage":[1,}}')).toThrow(/malformed JSON/);
    expect(() => parseFrame('{"topic":"charging","message":42}')).toThrow('frame "message" is not an object');
  });

  it('writes commands as "<command>\\n<value>" frames with amperes on the 0.1 A grid', () => {
    expect(wsCommand('setCurrentLimit', 8.5)).toBe('setCurrentLimit\n8.5');
    expect(wsCommand('setCurrentLimit', 16)).toBe('setCurrentLimit\n16');
    expect(wsCommand('setCurrentLimit', Number.NaN)).toBe('setCurrentLimit\nNaN');
    expect(wsCommand('setTimeout', 60000)).toBe('setTimeout\n60000');
    expect(wsCommand('setEnabled', true)).toBe('setEnabled\ntrue');
  });

  it('builds the same write as frames and as one PUT /limits body with bare NaN', () => {
    const cmds = [timeout(60000), enable(), current(Number.NaN), onePhase(true)];
    expect(commandFrames(cmds)).toEqual([
      'setTimeout\n60000',
      'setEnabled\ntrue',
      'setCurrentLimit\nNaN',
      'setOnePhaseLimitActive\ntrue',
      'set1p3p\ntrue',
    ]);
    expect(toDeviceJson(restBody(cmds))).toBe(
      '{"setTimeout":60000,"timeout":60000,"enabled":true,"setAmperageLimit":NaN,"amperageLimit":NaN,"setOnePhaseLimit":true}',
    );
  });
});

describe('simulated SECC limit rules', () => {
  it('offers the minimum of its own limit and a valid API limit, and 0 A below 6 A', () => {
    const d = new PulsatrixDevice({ ownLimit: 32 });
    expect(d.offered()).toBe(32);
    expect(d.command('setCurrentLimit', '10.5')).toBeNull();
    expect(d.offered()).toBe(10.5);
    expect(d.command('setCurrentLimit', '5.9')).toBeNull();
    expect(d.offered()).toBe(0);
    expect(d.command('setCurrentLimit', 'NaN')).toBeNull();
    expect(d.offered()).toBe(32);
  });

  it('drops API limits after their timeout in simulated time, and setTimeout alone does not renew them', () => {
    const d = new PulsatrixDevice({ ownLimit: 32 });
    d.command('setTimeout', '60000');
    d.command('setCurrentLimit', '10');
    d.tick(59_000);
    expect(d.offered()).toBe(10);
    d.command('setTimeout', '60000');
    d.tick(1_000);
    expect(d.apiValid()).toBe(false);
    expect(d.offered()).toBe(32);
    expect(d.bodies().limits.amperageLimit).toBe(10); // /limits shows what was set, valid or not
  });

  it('rejects a timeout under 5000 ms and values that are not numbers', () => {
    const d = new PulsatrixDevice();
    expect(d.command('setTimeout', '1000')).toBe('timeout must be an integer >= 5000 ms');
    expect(d.command('setCurrentLimit', 'abc')).toBe('setCurrentLimit: expected a number, got "abc"');
    expect(d.command('dance', '1')).toBe('unknown command "dance"');
  });
});
