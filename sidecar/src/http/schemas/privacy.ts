// /api/admin/privacy: the personal-data export and erasure WordPress's Tools → Export/Erase Personal Data call.
import { z } from 'zod';
import { ok, type RouteSpec } from './common.js';

const userId = z.coerce.number().int().positive().safe();
const locale = z.string().regex(/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/).optional().describe('The reader of the answer, e.g. zh_CN; labels and messages in that language');
const email = z.email().max(320);

export const privacyExportQuery = z.object({
  user_id: userId,
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  email: email.optional().describe('The address the request was made for, looked for in stored payment bodies too'),
  locale,
});

export const privacyExportAnswer = z.object({
  // The shape of one item of a WordPress personal-data exporter's answer, passed on as it is.
  data: z.array(
    z.object({
      group_id: z.string(),
      group_label: z.string(),
      item_id: z.string(),
      data: z.array(z.object({ name: z.string(), value: z.string() })),
    }),
  ),
  done: z.boolean().describe('false: ask for the next page'),
});

export const privacyEraseBody = z
  .object({
    user_id: z.number().int().positive().safe(),
    emails: z.array(email).max(10).default([]).describe("Addresses to remove besides the account's and its payments'"),
    locale,
  })
  .strict();

export const privacyEraseAnswer = z.object({
  items_removed: z.number().int(),
  items_retained: z.number().int(),
  messages: z.array(z.string()).describe('Why what was kept was kept'),
  done: z.boolean().describe('false: call again, the pass was bounded'),
});

export const privacyRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/admin/privacy/export',
    summary: "A page of everything held about a user: wallet, ledger, payments and their notifications, notifications, referrals, purchases, licences (manage_options)",
    auth: 'admin',
    query: privacyExportQuery,
    responses: { 200: ok('The page, as WordPress exporter items', privacyExportAnswer) },
  },
  {
    method: 'post',
    path: '/api/admin/privacy/erase',
    summary:
      "Erase a user's personal data: notifications deleted; emails and names removed from payments and stored payment notifications; coin records kept, so the ledger still sums to every balance (manage_options). Safe to repeat",
    auth: 'admin',
    body: privacyEraseBody,
    responses: { 200: ok('What was removed and kept', privacyEraseAnswer) },
  },
];
