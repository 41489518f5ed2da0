// The simulator's currency table and USD prices. Ids follow CoinPayments' scheme (coins numeric, tokens
// `<chain coin id>:<contract>`); ETH 4, Tron 9, LTCT 1002 and USD 5057 are CoinPayments' own, the rest are stand-ins.

export interface SimCurrency {
  id: string;
  type: 'crypto' | 'token' | 'fiat';
  symbol: string;
  name: string;
  decimalPlaces: number;
  requiredConfirmations: number;
  /** USD per one unit, exact decimal. */
  usd: string;
}

export const SIM_CURRENCIES: SimCurrency[] = [
  { id: '1', type: 'crypto', symbol: 'BTC', name: 'Bitcoin', decimalPlaces: 8, requiredConfirmations: 2, usd: '100000' },
  { id: '2', type: 'crypto', symbol: 'LTC', name: 'Litecoin', decimalPlaces: 8, requiredConfirmations: 3, usd: '100' },
  { id: '4', type: 'crypto', symbol: 'ETH', name: 'Ethereum', decimalPlaces: 18, requiredConfirmations: 12, usd: '3000' },
  { id: '9', type: 'crypto', symbol: 'TRX', name: 'Tron', decimalPlaces: 6, requiredConfirmations: 20, usd: '0.25' },
  { id: '35', type: 'crypto', symbol: 'BNB', name: 'BNB Smart Chain', decimalPlaces: 18, requiredConfirmations: 15, usd: '600' },
  { id: '11', type: 'crypto', symbol: 'SOL', name: 'Solana', decimalPlaces: 9, requiredConfirmations: 1, usd: '150' },
  { id: '4:0xdac17f958d2ee523a2206206994597c13d831ec7', type: 'token', symbol: 'USDT', name: 'Tether USD (ERC20)', decimalPlaces: 6, requiredConfirmations: 12, usd: '1' },
  { id: '9:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', type: 'token', symbol: 'USDT', name: 'Tether USD (TRC20)', decimalPlaces: 6, requiredConfirmations: 20, usd: '1' },
  { id: '35:0x55d398326f99059ff775485246999027b3197955', type: 'token', symbol: 'USDT', name: 'Tether USD (BEP20)', decimalPlaces: 18, requiredConfirmations: 15, usd: '1' },
  { id: '11:Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB', type: 'token', symbol: 'USDT', name: 'Tether USD (Solana)', decimalPlaces: 6, requiredConfirmations: 1, usd: '1' },
  { id: '1002', type: 'crypto', symbol: 'LTCT', name: 'Litecoin Testnet', decimalPlaces: 8, requiredConfirmations: 0, usd: '100' },
  { id: '5057', type: 'fiat', symbol: 'USD', name: 'United States Dollar', decimalPlaces: 2, requiredConfirmations: 0, usd: '1' },
  { id: '5021', type: 'fiat', symbol: 'EUR', name: 'Euro', decimalPlaces: 2, requiredConfirmations: 0, usd: '1.08' },
  { id: '5012', type: 'fiat', symbol: 'CNY', name: 'Chinese Yuan', decimalPlaces: 2, requiredConfirmations: 0, usd: '0.14' },
];
