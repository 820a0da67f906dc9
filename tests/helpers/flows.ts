import { SignUpDocument } from "../gql/graphql";
import type { TestClient } from "./client";
import { PASSWORD, uniqueEmail } from "./instance";

/** Signs a new platform user up on `client` (cookies land in its jar). */
export async function signUp(
  client: TestClient,
  options: { email?: string; returnRefreshToken?: boolean } = {},
) {
  const email = options.email ?? uniqueEmail();
  const data = await client.ok(SignUpDocument, {
    input: {
      fullName: "Ada Lovelace",
      email,
      password: PASSWORD,
      returnRefreshToken: options.returnRefreshToken ?? true,
    },
  });
  return { email, ...data.signUp };
}
