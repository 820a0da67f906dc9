/** A clock tests can move forward, injected into the app so expiry is tested without waiting. */
export interface TestClock {
  now: () => Date;
  advance(seconds: number): void;
}

export function createClock(): TestClock {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
  };
}
