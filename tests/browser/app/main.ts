/**
 * The test app: what a frontend team writes with Apollo Client 4 and the README's refresh link,
 * served from its own origin. The browser test drives it through `window.app`.
 * Two clients, one per audience: the platform's session and one project's end-user session.
 */
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { cookieRefresh, CSRF_HEADER, refreshLink } from "../../../examples/apollo-refresh-link";

const params = new URLSearchParams(location.search);
const gatehouse = `${params.get("gatehouse") ?? ""}/graphql`;
const projectId = params.get("projectId") ?? "";

const counts = { refreshes: 0, signedOut: 0, endUserRefreshes: 0, endUserSignedOut: 0 };

function makeClient(refresh: () => Promise<boolean>, onSignedOut: () => void): ApolloClient {
  const client: ApolloClient = new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.from([
      refreshLink({
        refresh,
        onSignedOut: () => {
          onSignedOut();
          void client.clearStore();
        },
      }),
      new HttpLink({ uri: gatehouse, credentials: "include", headers: CSRF_HEADER }),
    ]),
  });
  return client;
}

const refreshPlatform = cookieRefresh(gatehouse);
const platform = makeClient(
  () => {
    counts.refreshes += 1;
    return refreshPlatform();
  },
  () => {
    counts.signedOut += 1;
  },
);
const refreshEndUser = cookieRefresh(gatehouse, projectId);
const endUsers = makeClient(
  () => {
    counts.endUserRefreshes += 1;
    return refreshEndUser();
  },
  () => {
    counts.endUserSignedOut += 1;
  },
);

const SIGN_UP = gql`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      user {
        id
        email
      }
    }
  }
`;
const LOG_IN = gql`
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) {
      __typename
      ... on AuthPayload {
        user {
          id
          email
        }
      }
    }
  }
`;
const LOG_OUT = gql`
  mutation LogOut {
    logOut
  }
`;
const ME = gql`
  query Me {
    me {
      id
      email
    }
  }
`;
const ME_NAME = gql`
  query MeName {
    me {
      id
      fullName
    }
  }
`;
const ME_SESSIONS = gql`
  query MeSessions {
    me {
      id
      sessions {
        totalCount
      }
    }
  }
`;
const END_USER_SIGN_UP = gql`
  mutation EndUserSignUp($projectId: UUID!, $input: EndUserSignUpInput!) {
    endUserSignUp(projectId: $projectId, input: $input) {
      endUser {
        id
        email
      }
    }
  }
`;
const END_USER_ME = gql`
  query EndUserMe($projectId: UUID!) {
    endUserMe(projectId: $projectId) {
      id
      email
    }
  }
`;

type Me = { me: { id: string; email?: string } | null };

/** A plain summary the test can compare: data or the error codes. */
async function run<T>(work: () => Promise<{ data?: T; error?: unknown }>) {
  try {
    const { data, error } = await work();
    if (error) return { error: String((error as Error).message ?? error) };
    return { data };
  } catch (error) {
    return { error: String((error as Error).message ?? error) };
  }
}

const app = {
  counts,
  signUp: (email: string, password: string) =>
    run(() =>
      platform.mutate({
        mutation: SIGN_UP,
        variables: { input: { email, password, fullName: "Ada" } },
      }),
    ),
  logIn: async (email: string, password: string) => {
    // A new viewer: nothing cached for the last one may answer for this one.
    await platform.clearStore();
    return run(() =>
      platform.mutate({ mutation: LOG_IN, variables: { input: { email, password } } }),
    );
  },
  me: (fetchPolicy: "cache-first" | "network-only" = "network-only") =>
    run(() => platform.query<Me>({ query: ME, fetchPolicy })),
  /** Three different queries at once, as a dashboard's first render sends them. */
  parallel: () =>
    Promise.all(
      [ME, ME_NAME, ME_SESSIONS].map((query) =>
        run(() => platform.query<Me>({ query, fetchPolicy: "network-only" })),
      ),
    ),
  logOut: () => run(() => platform.mutate({ mutation: LOG_OUT })),
  clearStore: () => platform.clearStore(),
  endUserSignUp: (email: string, password: string) =>
    run(() =>
      endUsers.mutate({
        mutation: END_USER_SIGN_UP,
        variables: {
          projectId,
          input: { email, password, fullName: "Grace", authMethod: "EMAIL" },
        },
      }),
    ),
  endUserMe: () =>
    run(() =>
      endUsers.query({ query: END_USER_ME, variables: { projectId }, fetchPolicy: "network-only" }),
    ),
};

/** What a hostile page can do without a preflight: a cross-site form POST, here of a JSON
 * body smuggled through text/plain. */
function forgeFormPost(target: string, query: string): void {
  const form = document.createElement("form");
  form.method = "POST";
  form.action = target;
  form.enctype = "text/plain";
  const field = document.createElement("input");
  field.name = `{"query":${JSON.stringify(query)},"x":"`;
  field.value = '"}';
  form.append(field);
  document.body.append(form);
  form.submit();
}

Object.assign(window, { app: { ...app, forgeFormPost } });
document.body.dataset.ready = "true";
