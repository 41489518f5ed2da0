// rate_limits: one fixed-window counter per (bucket, user), written by db/rate-counters.ts.

export interface RateLimitsTable {
  bucket: string;
  user_id: number;
  window_start: number;
  hits: number;
}
