/** A clock tests can move forward, injected into the app so expiry is tested without waiting. */
export interface TestClock {
  now: () => Date;
  advance(seconds: number): void;
  /** Moves the clock `seconds` ahead for `body` and always moves it back. */
  later<T>(seconds: number, body: () => Promise<T>): Promise<T>;
}

export function createClock(): TestClock {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
    async later(seconds, body) {
      offsetMs += seconds * 1000;
      try {
        return await body();
      } finally {
        offsetMs -= seconds * 1000;
      }
    },
  };
}
