// Every route the app serves, collected from the resource files: the source of /openapi.json and of the response check.
import { adminRoutes } from './admin.js';
import { catalogRoutes } from './catalog.js';
import type { RouteSpec } from './common.js';
import { licenceRoutes } from './licences.js';
import { notificationRoutes } from './notifications.js';
import { packageRoutes } from './packages.js';
import { postRoutes } from './posts.js';
import { privacyRoutes } from './privacy.js';
import { rechargeRoutes } from './recharges.js';
import { referralRoutes } from './referrals.js';
import { rewardRoutes } from './rewards.js';
import { systemRoutes } from './system.js';
import { vipRoutes } from './vip.js';
import { walletRoutes } from './wallet.js';
import { webhookRoutes } from './webhooks.js';

export const routeSpecs: readonly RouteSpec[] = [
  ...walletRoutes,
  ...packageRoutes,
  ...rechargeRoutes,
  ...postRoutes,
  ...rewardRoutes,
  ...vipRoutes,
  ...licenceRoutes,
  ...referralRoutes,
  ...notificationRoutes,
  ...adminRoutes,
  ...catalogRoutes,
  ...privacyRoutes,
  ...systemRoutes,
  ...webhookRoutes,
];
