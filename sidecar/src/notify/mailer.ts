// SMTP delivery through nodemailer, with bounded timeouts and errors scrubbed of the URL's credentials.
import { createTransport } from 'nodemailer';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable per notification, so a resend after a crash can be recognised by the receiving side. */
  messageId: string;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

export interface SmtpOptions {
  smtpUrl: string;
  from: string;
  timeoutMs: number;
}

const MAX_ERROR_CHARS = 500;

/** Secrets from smtps://user:pass@host never reach a log line or the outbox's last_error. */
export function scrubError(err: unknown, secrets: string[]): string {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown } | null;
  let msg = typeof e?.message === 'string' ? e.message : String(err);
  for (const s of secrets) if (s.length > 0) msg = msg.split(s).join('***');
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  return (code + msg).replace(/\s+/g, ' ').slice(0, MAX_ERROR_CHARS);
}

export function createSmtpMailer(opts: SmtpOptions): Mailer {
  const url = new URL(opts.smtpUrl);
  const secrets = [url.password, decodeURIComponent(url.password), url.username, decodeURIComponent(url.username)];
  const transport = createTransport({
    url: opts.smtpUrl,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(email) {
      try {
        await transport.sendMail({
          from: opts.from,
          to: email.to,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: email.messageId,
          headers: { 'Auto-Submitted': 'auto-generated' },
        });
      } catch (err) {
        throw new Error(scrubError(err, secrets));
      }
    },
    close() {
      transport.close();
    },
  };
}
