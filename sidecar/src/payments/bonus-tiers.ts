// Bonus tiers as a recharge freezes them: the bonus a number of coins earns, and the text stored with the recharge.

/** `minCoins` or more coins earn `bonusPercent` % of them as bonus (the highest tier reached applies). */
export interface BonusTier {
  minCoins: number;
  bonusPercent: number;
}

/** Bonus of the highest tier the coins reach, rounded down; tiers in ascending minCoins. */
export function bonusForTiers(tiers: readonly BonusTier[], coins: number): number {
  let percent = 0;
  for (const t of tiers) if (coins >= t.minCoins) percent = t.bonusPercent;
  return Math.floor((coins * percent) / 100);
}

/** `1000:10,5000:15`, the form RECHARGE_BONUS_TIERS takes; '' for no tiers. */
export function formatTiers(tiers: readonly BonusTier[]): string {
  return tiers.map((t) => `${t.minCoins}:${t.bonusPercent}`).join(',');
}

/** The stored text back as tiers, ascending; null when it is not what formatTiers writes. */
export function parseTiers(text: string): BonusTier[] | null {
  if (text === '') return [];
  const tiers: BonusTier[] = [];
  for (const entry of text.split(',')) {
    const m = /^(\d{1,9}):(\d{1,3})$/.exec(entry);
    if (!m || Number(m[2]) > 100) return null;
    tiers.push({ minCoins: Number(m[1]), bonusPercent: Number(m[2]) });
  }
  return tiers.sort((a, b) => a.minCoins - b.minCoins);
}
