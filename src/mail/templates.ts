/**
 * Every email Gatehouse sends, as plain text and HTML from one description per template.
 *
 * - Every interpolated value is escaped for HTML: templates build sentences from plain strings,
 *   and the layout escapes each one whole, so no template can put markup of its own in by mistake.
 * - Nothing remote: no images, web fonts, stylesheets or tracking pixels, only inline styles; the
 *   one link of a message is the one its caller gave (http or https only), as a button and
 *   written out beneath it.
 * - In the text part that link stands alone on its own line (`findActionLink` finds it again: the
 *   log transport prints it on its own for operators).
 */

export type MailTemplate =
  | "email-verification"
  | "password-reset"
  | "password-changed"
  | "email-change"
  | "email-changed"
  | "invitation";

interface MailDataByTemplate {
  "email-verification": { name: string; link: string };
  /** The link expires in an hour (the text says so). */
  "password-reset": { name: string; link: string };
  "password-changed": { name: string };
  /** Sent to the new address; the link confirms it. */
  "email-change": { name: string; link: string; newEmail: string };
  /** Sent to the old address once the change is done. */
  "email-changed": { name: string; newEmail: string };
  invitation: {
    organizationName: string;
    inviterName: string;
    /** An organization role (`ADMIN`): written in lower case. */
    role: string;
    link: string;
    /** When the invitation lapses; the text says so when given. */
    expiresAt?: Date;
  };
}

export type MailData<T extends MailTemplate> = MailDataByTemplate[T];

export interface MailBrand {
  /** "Gatehouse" for platform accounts, or the project's name for its end users. */
  productName: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** What a template says; the layout turns it into text and HTML. */
interface MailContent {
  subject: string;
  greeting: string;
  paragraphs: string[];
  action?: { label: string; link: string };
  /** Small print after the action. */
  notes: string[];
}

const DATE_FORMAT = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "long",
  timeStyle: "short",
  timeZone: "UTC",
});

const greet = (name: string) => `Hi ${name},`;

const TEMPLATES: { [T in MailTemplate]: (data: MailData<T>, brand: MailBrand) => MailContent } = {
  "email-verification": ({ name, link }, { productName }) => ({
    subject: `Verify your email address for ${productName}`,
    greeting: greet(name),
    paragraphs: [`Please confirm that this is your email address for your ${productName} account.`],
    action: { label: "Verify email address", link },
    notes: ["If you did not create an account, you can ignore this message."],
  }),

  "password-reset": ({ name, link }, { productName }) => ({
    subject: `Reset your ${productName} password`,
    greeting: greet(name),
    paragraphs: [`Someone asked to reset the password of your ${productName} account.`],
    action: { label: "Choose a new password", link },
    notes: [
      "The link works once and expires in 1 hour.",
      "If you did not ask for a new password, you can ignore this message: your password stays as it is.",
    ],
  }),

  "password-changed": ({ name }, { productName }) => ({
    subject: `Your ${productName} password was changed`,
    greeting: greet(name),
    paragraphs: [
      `The password of your ${productName} account was just changed, and your other sessions were signed out.`,
      "If you changed it, there is nothing more to do.",
      `If you did not, someone else may know your password: reset it now with "Forgot password" on the ${productName} sign-in page, and tell your administrator.`,
    ],
    notes: [],
  }),

  "email-change": ({ name, link, newEmail }, { productName }) => ({
    subject: `Confirm your new email address for ${productName}`,
    greeting: greet(name),
    paragraphs: [
      `You asked to change the email address of your ${productName} account to ${newEmail}. Confirm that this address is yours to finish the change.`,
    ],
    action: { label: "Confirm new email address", link },
    notes: [
      "If you did not ask for this, you can ignore this message: nothing changes until the link is used.",
    ],
  }),

  "email-changed": ({ name, newEmail }, { productName }) => ({
    subject: `Your ${productName} email address was changed`,
    greeting: greet(name),
    paragraphs: [
      `The email address of your ${productName} account was changed to ${newEmail}. Messages about your account go to the new address from now on.`,
      `If you did not make this change, someone else may have access to your account: contact your administrator right away.`,
    ],
    notes: [],
  }),

  invitation: ({ organizationName, inviterName, role, link, expiresAt }, { productName }) => ({
    subject: `You are invited to join ${organizationName}`,
    greeting: "Hello,",
    paragraphs: [
      `${inviterName} invited you to join ${organizationName} on ${productName} as ${role.toLowerCase()}.`,
    ],
    action: { label: "Accept the invitation", link },
    notes: [
      expiresAt
        ? `The link works once and expires on ${DATE_FORMAT.format(expiresAt)} UTC.`
        : "The link works once.",
      "If you did not expect it, ignore this message.",
    ],
  }),
};

export function renderMail<T extends MailTemplate>(
  template: T,
  data: MailData<T>,
  brand: MailBrand,
): RenderedMail {
  const render = TEMPLATES[template] as (data: MailData<T>, brand: MailBrand) => MailContent;
  const content = render(data, brand);
  if (content.action) assertWebLink(content.action.link);
  return {
    subject: oneLine(content.subject),
    text: renderText(content, brand),
    html: renderHtml(content, brand),
  };
}

/** The action link of a rendered text part: the one line that is nothing but a URL. */
export function findActionLink(text: string): string | undefined {
  return /^(https?:\/\/\S+)$/m.exec(text)?.[1];
}

function assertWebLink(link: string): void {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new Error("A mail link must be an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`A mail link must be http or https, not ${url.protocol}`);
  }
  if (/\s/.test(link)) throw new Error("A mail link must not contain whitespace");
}

/** Names and addresses come from users: in headers and text, line breaks become spaces. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\t\v\f\u2028\u2029]+/g, " ").trim();
}

function renderText(content: MailContent, brand: MailBrand): string {
  const blocks = [content.greeting, ...content.paragraphs].map(oneLine);
  if (content.action) blocks.push(`${content.action.label}:\n${content.action.link}`);
  blocks.push(...content.notes.map(oneLine));
  blocks.push(`— ${oneLine(brand.productName)}`);
  return `${blocks.join("\n\n")}\n`;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const P = "margin:0 0 16px;font-size:16px;line-height:24px;color:#1f2328;";
const SMALL = "margin:0 0 12px;font-size:13px;line-height:20px;color:#57606a;";

function renderHtml(content: MailContent, brand: MailBrand): string {
  const e = (value: string) => escapeHtml(oneLine(value));
  const paragraphs = [content.greeting, ...content.paragraphs]
    .map((p) => `<p style="${P}">${e(p)}</p>`)
    .join("\n");
  const action = content.action
    ? [
        `<p style="margin:24px 0;"><a href="${escapeHtml(content.action.link)}" style="display:inline-block;padding:12px 20px;border-radius:6px;background:#1f6feb;color:#ffffff;font-size:16px;font-weight:600;text-decoration:none;">${e(content.action.label)}</a></p>`,
        `<p style="${SMALL}">If the button does not work, copy this address into your browser:<br><span style="word-break:break-all;">${escapeHtml(content.action.link)}</span></p>`,
      ].join("\n")
    : "";
  const notes = content.notes.map((n) => `<p style="${SMALL}">${e(n)}</p>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(content.subject)}</title>
</head>
<body style="margin:0;padding:0;background:#f6f8fa;font-family:${FONT};">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f8fa;">
<tr><td align="center" style="padding:32px 16px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border:1px solid #d0d7de;border-radius:8px;">
<tr><td style="padding:32px;">
<p style="margin:0 0 24px;font-size:14px;font-weight:600;color:#57606a;">${e(brand.productName)}</p>
${paragraphs}
${action}
${notes}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}
