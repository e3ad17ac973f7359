import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { type State, store } from './store';

/** The store's state; the component renders again on every change. */
export function useStore(): State {
  const [, setTick] = useState(0);
  const seen = store.state;
  useLayoutEffect(() => {
    const off = store.subscribe(() => setTick((t) => t + 1));
    // a change between the render and the subscription is not lost
    if (store.state !== seen) setTick((t) => t + 1);
    return off;
  }, []);
  return store.state;
}

/** The current time, ticking every second (countdowns). */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, []);
  return now;
}

/** The hash route without `#`, e.g. `/charger/garage`. */
export function useRoute(): string {
  const read = () => location.hash.replace(/^#/, '') || '/';
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
