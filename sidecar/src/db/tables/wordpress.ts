// WordPress core tables, read-only for the sidecar (only the columns it reads), under WP_TABLE_PREFIX.
import type { Generated } from '../columns.js';

export interface WpUsersTable {
  ID: number;
  user_login: string;
  user_email: string;
  display_name: string;
}

export interface WpPostsTable {
  ID: number;
  post_author: number;
  post_title: string;
  post_status: string;
  post_type: string;
}

export interface WpPostmetaTable {
  meta_id: Generated<number>;
  post_id: number;
  meta_key: string | null;
  meta_value: string | null;
}
