/**
 * A GraphQL client over real HTTP with a cookie jar, like a browser (cookies) or a native
 * client (bearer token). Operations are typed documents generated from tests/operations.
 */
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type GraphQLFormattedError } from "graphql";
import { CookieJar } from "tough-cookie";

export interface GraphQLResponse<T> {
  status: number;
  headers: Headers;
  data: T | null | undefined;
  errors: GraphQLFormattedError[] | undefined;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Send the jar's cookies (default true). */
  cookies?: boolean;
}

export class TestClient {
  readonly jar = new CookieJar();
  bearer: string | null = null;

  constructor(readonly baseUrl: string) {}

  get graphqlUrl(): string {
    return `${this.baseUrl}/graphql`;
  }

  async raw(
    body: string,
    headers: Record<string, string>,
    options: RequestOptions = {},
  ): Promise<Response> {
    const all: Record<string, string> = { ...headers };
    if (options.cookies !== false) {
      const cookie = await this.jar.getCookieString(this.graphqlUrl);
      if (cookie) all.cookie = cookie;
    }
    if (this.bearer && !("authorization" in all)) all.authorization = `Bearer ${this.bearer}`;
    Object.assign(all, options.headers);
    const response = await fetch(this.graphqlUrl, { method: "POST", headers: all, body });
    for (const setCookie of response.headers.getSetCookie()) {
      await this.jar.setCookie(setCookie, this.graphqlUrl);
    }
    return response;
  }

  async request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
    options: RequestOptions = {},
  ): Promise<GraphQLResponse<TResult>> {
    const response = await this.raw(
      JSON.stringify({ query: print(document), variables: variables ?? {} }),
      { "content-type": "application/json" },
      options,
    );
    const json = (await response.json()) as {
      data?: TResult | null;
      errors?: GraphQLFormattedError[];
    };
    return {
      status: response.status,
      headers: response.headers,
      data: json.data,
      errors: json.errors,
    };
  }

  /** Like request, but fails the test with the server's errors if there are any. */
  async ok<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
    options: RequestOptions = {},
  ): Promise<TResult> {
    const result = await this.request(document, variables, options);
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(result.errors ?? result)}`);
    }
    return result.data;
  }

  async cookie(name: string): Promise<string | null> {
    const cookies = await this.jar.getCookies(this.graphqlUrl);
    return cookies.find((c) => c.key === name)?.value ?? null;
  }
}

/** The codes of a response's errors, for compact assertions. */
export function errorCodes(result: {
  errors?: readonly GraphQLFormattedError[] | undefined;
}): unknown[] {
  return (result.errors ?? []).map((e) => e.extensions?.code);
}
