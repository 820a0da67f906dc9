/**
 * The GraphQL playground: GraphiQL, served from this server's own assets (scripts/build.mjs
 * bundles this file into dist/playground/, src/http/playground.ts serves it at GET /graphql).
 * The page's Content-Security-Policy allows no inline script and no inline style except those
 * carrying the response's nonce, which the page hands over in `<meta property="csp-nonce">`.
 */
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "graphiql/style.css";
import "./page.css";

declare global {
  // Read by get-nonce (react-style-singleton, behind Radix's dialogs and menus) when it injects
  // a <style> element, so that the element carries the nonce the page's policy allows.
  var __webpack_nonce__: string | undefined;
}

const DEFAULT_QUERY = `# Welcome to the Gatehouse playground.
#
# Requests carry this browser's cookies: sign up below (an email not yet taken) or log in,
# then run Me. ▶ (or Ctrl-Enter) offers the operations of this tab; the book icon opens the
# docs. Log out to end the session.

mutation SignUp {
  signUp(
    input: {
      fullName: "Ada Lovelace"
      email: "ada@example.com"
      password: "correct horse battery"
    }
  ) {
    user {
      id
      email
    }
    session {
      expiresAt
    }
  }
}

# mutation LogIn {
#   logIn(input: { email: "ada@example.com", password: "correct horse battery" }) {
#     __typename
#     ... on AuthPayload { user { id email } }
#   }
# }

query Me {
  me {
    id
    email
    fullName
    sessions {
      edges {
        node {
          id
          current
          userAgent
        }
      }
    }
  }
}

# mutation LogOut {
#   logOut
# }
`;

// Nonce hiding: the attribute reads back empty, the `nonce` property keeps the value.
const nonce = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce;
if (nonce) globalThis.__webpack_nonce__ = nonce;

// The page is served at the GraphQL endpoint itself.
const endpoint = new URL(window.location.pathname, window.location.origin).href;

const fetcher = createGraphiQLFetcher({
  url: endpoint,
  // Apollo's CSRF prevention refuses requests that carry no non-simple header.
  headers: { "apollo-require-preflight": "true" },
  fetch: (input, init) => fetch(input, { ...init, credentials: "include" }),
  // The server has no @defer or @stream: plain JSON answers.
  enableIncrementalDelivery: false,
});

const container = document.getElementById("graphiql");
if (!container) throw new Error("The playground page has no #graphiql element");
createRoot(container).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
