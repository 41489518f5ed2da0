// The time source every layer takes as a dependency, so tests and background jobs can move time by hand.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
