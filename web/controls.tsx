import { useEffect, useState } from 'preact/hooks';
import type { Answer, DeviceEntry } from './store';

const AUTOMATIC = new Set(['off', 'fast', 'solar', 'min_solar', 'smart', 'load_follow']);

/** The mode radio group ("Mode"): the modes the charger's type offers, unusable ones disabled with the bridge's reason. */
export function ModeGroup(props: {
  d: DeviceEntry;
  mode: unknown;
  /** The bridge's last answer on this charger: a refusal puts the choice back. */
  answer: Answer | undefined;
  disabled: boolean;
  onPick: (mode: string) => void;
}) {
  const { d } = props;
  // the choice shows at once; it yields to the bridge's mode once that follows, or to a refusal
  const [picked, setPicked] = useState<string | null>(null);
  useEffect(() => {
    if (picked !== null && props.mode === picked) setPicked(null);
  }, [props.mode, picked]);
  useEffect(() => {
    if (props.answer && !props.answer.ok) setPicked(null);
  }, [props.answer]);
  const shown = picked ?? props.mode;
  const modes = d.modes ?? [];
  const label = `mode-${d.id}`;
  const blocked = modes.filter((m) => m.reason);
  return (
    <div class="control">
      <span class="label" id={label}>
        Mode
      </span>
      <div class="seg" role="radiogroup" aria-labelledby={label}>
        {modes.map((m) => (
          <label class="seg-opt" key={m.mode}>
            <input
              type="radio"
              name={`mode-${d.id}`}
              value={m.mode}
              checked={shown === m.mode}
              disabled={props.disabled || m.reason !== null}
              aria-describedby={m.reason ? `why-${d.id}-${m.mode}` : undefined}
              onChange={() => {
                setPicked(m.mode);
                props.onPick(m.mode);
              }}
            />
            {shown === m.mode && (
              <span class="tick" aria-hidden="true">
                ✓
              </span>
            )}
            <span>{m.mode}</span>
          </label>
        ))}
      </div>
      {blocked.length > 0 && (
        <ul class="reasons">
          {blocked.map((m) => (
            <li key={m.mode} id={`why-${d.id}-${m.mode}`}>
              {m.mode}: unavailable — {m.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The enable switch ("Charging enabled"). */
export function EnableSwitch(props: {
  id: string;
  on: boolean;
  disabled: boolean;
  onToggle: (on: boolean) => void;
}) {
  const label = `en-${props.id}`;
  return (
    <div class="control row">
      <span class="label" id={label}>
        Charging enabled
      </span>
      <button
        type="button"
        role="switch"
        class="switch"
        aria-checked={props.on}
        aria-labelledby={label}
        disabled={props.disabled}
        onClick={() => props.onToggle(!props.on)}
      >
        <span class="knob" aria-hidden="true" />
        <span>{props.on ? 'On' : 'Off'}</span>
      </button>
    </div>
  );
}

/** The current slider ("Charge current", A) within the charger's limits and step; sent on release. */
export function CurrentSlider(props: {
  id: string;
  value: number;
  min: number;
  max: number;
  step: number;
  disabled: boolean;
  onCommit: (a: number) => void;
}) {
  const [draft, setDraft] = useState<number | null>(null);
  useEffect(() => setDraft(null), [props.value]);
  const shown = draft ?? props.value;
  const id = `cc-${props.id}`;
  const digits = props.step < 1 ? 1 : 0;
  return (
    <div class="control">
      <label class="label" for={id}>
        Charge current
      </label>
      <div class="slider">
        <span aria-hidden="true">{props.min}</span>
        <input
          id={id}
          type="range"
          min={props.min}
          max={props.max}
          step={props.step}
          value={shown}
          disabled={props.disabled}
          aria-valuetext={`${shown.toFixed(digits)} A`}
          onInput={(e) => setDraft(Number((e.currentTarget as HTMLInputElement).value))}
          onChange={(e) => props.onCommit(Number((e.currentTarget as HTMLInputElement).value))}
        />
        <span aria-hidden="true">{props.max}</span>
        <span class="value" aria-hidden="true">
          {shown.toFixed(digits)} A
        </span>
      </div>
    </div>
  );
}

/** Whether a manual current or enable switches this mode to manual (docs/engine.md). */
export function switchesToManual(mode: unknown): boolean {
  return typeof mode === 'string' && AUTOMATIC.has(mode) && mode !== 'smart';
}
