// The Kysely Database interface: every table the sidecar touches, by logical (unprefixed) name, one file each in tables/.
import type { CatalogAuditTable, CatalogSectionsTable, CatalogVersionTable } from './tables/catalog.js';
import type { CoinLedgerTable } from './tables/coin-ledger.js';
import type { DownloadsTable } from './tables/downloads.js';
import type { EmailOutboxTable } from './tables/email-outbox.js';
import type { EntitlementsTable } from './tables/entitlements.js';
import type { IdempotencyKeysTable } from './tables/idempotency-keys.js';
import type { IpnLogTable } from './tables/ipn-log.js';
import type { MigrationsTable } from './tables/migrations.js';
import type { NotificationsTable } from './tables/notifications.js';
import type { PaymentResolutionsTable } from './tables/payment-resolutions.js';
import type { RateLimitsTable } from './tables/rate-limits.js';
import type { ReceiptMarksTable, ReceiptReadsTable } from './tables/receipts.js';
import type { RechargeTransactionsTable } from './tables/recharge-transactions.js';
import type { ReferralBindingsTable } from './tables/referral-bindings.js';
import type { ReferralCodesTable } from './tables/referral-codes.js';
import type { ReferralRewardWindowsTable } from './tables/referral-reward-windows.js';
import type { RewardCountersTable } from './tables/reward-counters.js';
import type { RewardRedemptionsTable } from './tables/reward-redemptions.js';
import type { RoleGrantsTable } from './tables/role-grants.js';
import type { UserWalletTable } from './tables/user-wallet.js';
import type { VipMembershipsTable, VipPurchasesTable, VipTierAuditTable, VipTiersTable } from './tables/vip.js';
import type { WpPostmetaTable, WpPostsTable, WpUsersTable } from './tables/wordpress.js';

export interface Database {
  user_wallet: UserWalletTable;
  coin_ledger: CoinLedgerTable;
  recharge_transactions: RechargeTransactionsTable;
  idempotency_keys: IdempotencyKeysTable;
  migrations: MigrationsTable;
  ipn_log: IpnLogTable;
  payment_resolutions: PaymentResolutionsTable;
  entitlements: EntitlementsTable;
  downloads: DownloadsTable;
  reward_redemptions: RewardRedemptionsTable;
  reward_counters: RewardCountersTable;
  role_grants: RoleGrantsTable;
  referral_codes: ReferralCodesTable;
  referral_bindings: ReferralBindingsTable;
  referral_reward_windows: ReferralRewardWindowsTable;
  rate_limits: RateLimitsTable;
  notifications: NotificationsTable;
  email_outbox: EmailOutboxTable;
  receipt_reads: ReceiptReadsTable;
  receipt_marks: ReceiptMarksTable;
  catalog_sections: CatalogSectionsTable;
  catalog_version: CatalogVersionTable;
  catalog_audit: CatalogAuditTable;
  vip_tiers: VipTiersTable;
  vip_tier_audit: VipTierAuditTable;
  vip_memberships: VipMembershipsTable;
  vip_purchases: VipPurchasesTable;
  /** WordPress core tables, prefixed with WP_TABLE_PREFIX instead of the sidecar's prefix. */
  users: WpUsersTable;
  posts: WpPostsTable;
  postmeta: WpPostmetaTable;
}
