/** Every mail template: what it says, escaped HTML, nothing remote, only the link it was given. */
import { describe, expect, it } from "vitest";
import {
  findActionLink,
  renderMail,
  type MailData,
  type MailTemplate,
  type RenderedMail,
} from "../src/mail/templates";
import { linksOf } from "./helpers/smtp";

const HOSTILE = `<script>alert("x")</script> & 'quotes' <img src="http://evil.example/p.png">`;
const ESCAPED = `&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; &lt;img src=&quot;http://evil.example/p.png&quot;&gt;`;
const LINK = "https://app.example.com/some-path?token=abc-DEF_123&lang=en";
const BRAND = { productName: "Gatehouse" };

const cases: { [T in MailTemplate]: { data: MailData<T>; link: boolean } } = {
  "email-verification": { data: { name: HOSTILE, link: LINK }, link: true },
  "password-reset": { data: { name: HOSTILE, link: LINK }, link: true },
  "password-changed": { data: { name: HOSTILE }, link: false },
  "email-change": { data: { name: HOSTILE, link: LINK, newEmail: HOSTILE }, link: true },
  "email-changed": { data: { name: HOSTILE, newEmail: HOSTILE }, link: false },
  invitation: {
    data: {
      organizationName: HOSTILE,
      inviterName: HOSTILE,
      role: "ADMIN",
      link: LINK,
      expiresAt: new Date("2030-01-02T03:04:05Z"),
    },
    link: true,
  },
};
const templates = Object.keys(cases) as MailTemplate[];

function render(template: MailTemplate, brand = BRAND): RenderedMail {
  return renderMail(template, cases[template].data as never, brand);
}

describe.each(templates)("%s", (template) => {
  const mail = render(template, { productName: HOSTILE });

  it("escapes every value in the HTML part and keeps it as written in the text part", () => {
    expect(mail.html).toContain(ESCAPED);
    expect(mail.html).not.toContain("<script");
    expect(mail.html).not.toContain(`"x"`);
    expect(mail.text).toContain(HOSTILE);
  });

  it("loads nothing remote: no images, fonts, stylesheets or scripts", () => {
    const withoutEscapedText = mail.html.replaceAll(ESCAPED, "");
    expect(withoutEscapedText).not.toMatch(/<img|<link|<script|<iframe|<object|<embed/i);
    expect(withoutEscapedText).not.toMatch(/\bsrc\s*=/i);
    expect(withoutEscapedText).not.toMatch(/url\(|@import|@font-face/i);
    expect(mail.html).not.toMatch(/src\s*=\s*["']?https?:/i);
  });

  it("links only to the link it was given", () => {
    const hrefs = [...mail.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    const expected = cases[template].link ? [LINK] : [];
    expect(hrefs.map((h) => h!.replaceAll("&amp;", "&"))).toEqual(expected);
    if (cases[template].link) expect(mail.html).toContain(LINK.replace("&", "&amp;"));
    expect(linksOf(mail.html, "")).toEqual(expected);
    expect(findActionLink(mail.text)).toBe(cases[template].link ? LINK : undefined);
  });

  it("has a one-line subject with the product's name, and a complete HTML document", () => {
    const plain = render(template);
    expect(plain.subject).not.toMatch(/[\r\n]/);
    expect(plain.subject.length).toBeGreaterThan(10);
    if (template !== "invitation") expect(plain.subject).toContain("Gatehouse");
    expect(plain.html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(plain.html).toContain('<meta charset="utf-8">');
    expect(plain.html.trimEnd().endsWith("</html>")).toBe(true);
    expect(plain.text.endsWith("— Gatehouse\n")).toBe(true);
  });
});

describe("what each message says", () => {
  const text = (template: MailTemplate, data: object, brand = BRAND) =>
    renderMail(template, data as never, brand).text;

  it("email verification greets by name and confirms the address", () => {
    const mail = renderMail("email-verification", { name: "Ada", link: LINK }, BRAND);
    expect(mail.subject).toBe("Verify your email address for Gatehouse");
    expect(mail.text).toContain("Hi Ada,");
    expect(mail.text).toContain(`Verify email address:\n${LINK}\n`);
  });

  it("password reset says it expires in 1 hour and can be ignored", () => {
    const body = text("password-reset", { name: "Ada", link: LINK });
    expect(body).toContain("expires in 1 hour");
    expect(body).toMatch(/ignore this message/);
  });

  it("password changed says what to do if it was not you, with no link", () => {
    const mail = renderMail("password-changed", { name: "Ada" }, { productName: "Shop" });
    expect(mail.subject).toBe("Your Shop password was changed");
    expect(mail.text).toMatch(/If you did not, .*reset it now/);
    expect(mail.text).not.toMatch(/https?:/);
  });

  it("email change names the new address; email changed tells the old one", () => {
    const change = text("email-change", { name: "Ada", link: LINK, newEmail: "new@example.com" });
    expect(change).toContain("to new@example.com");
    const changed = text("email-changed", { name: "Ada", newEmail: "new@example.com" });
    expect(changed).toContain("was changed to new@example.com");
    expect(changed).toMatch(/If you did not make this change/);
  });

  it("an invitation names the organization, the inviter, the role and the expiry", () => {
    const mail = renderMail(
      "invitation",
      {
        organizationName: "Acme",
        inviterName: "Grace Hopper",
        role: "OWNER",
        link: LINK,
        expiresAt: new Date("2030-01-02T03:04:05Z"),
      },
      BRAND,
    );
    expect(mail.subject).toBe("You are invited to join Acme");
    expect(mail.text).toContain("Grace Hopper invited you to join Acme on Gatehouse as owner.");
    expect(mail.text).toContain("The link works once and expires on 2 January 2030");
    expect(mail.text).toContain("If you did not expect it, ignore this message.");
  });

  it("a project's end users get mail under the project's name", () => {
    const mail = renderMail(
      "email-verification",
      { name: "Ada", link: LINK },
      { productName: "Shop" },
    );
    expect(mail.subject).toBe("Verify your email address for Shop");
    expect(mail.text).not.toContain("Gatehouse");
    expect(mail.html).not.toContain("Gatehouse");
  });

  it("values cannot break a line: subjects and sentences stay whole", () => {
    const mail = renderMail(
      "invitation",
      {
        organizationName: "Acme\r\nBcc: x@evil.example",
        inviterName: "Ada",
        role: "MEMBER",
        link: LINK,
      },
      BRAND,
    );
    expect(mail.subject).toBe("You are invited to join Acme Bcc: x@evil.example");
    // The link is still the only line that is a URL.
    expect(findActionLink(mail.text)).toBe(LINK);
  });

  it("refuses links that are not http or https", () => {
    for (const link of [
      "javascript:alert(1)",
      "data:text/html,hi",
      "/relative",
      "https://a.example/x y",
    ]) {
      expect(() => renderMail("password-reset", { name: "Ada", link }, BRAND)).toThrow();
    }
  });
});
