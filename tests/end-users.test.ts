import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EndUserLogInDocument,
  EndUserMeDocument,
  EndUserRefreshSessionDocument,
  MeDocument,
} from "./gql/graphql";
import { errorCodes } from "./helpers/client";
import { openProject, signUpEndUser } from "./helpers/end-users";
import { PASSWORD, startInstance, type Instance } from "./helpers/instance";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance();
});
afterAll(() => gh?.close());

describe("end-user sign-up and log-in", () => {
  it("signs up, reads endUserMe, logs in and refreshes within the project", async () => {
    const { projectId } = await openProject(gh);
    const client = gh.client();
    const signed = await signUpEndUser(client, projectId);
    expect(signed.endUser.email).toBe(signed.email);
    const me = await client.ok(EndUserMeDocument, { projectId });
    expect(me.endUserMe?.id).toBe(signed.endUser.id);
    // The platform sees no one.
    expect((await client.ok(MeDocument)).me).toBeNull();

    const other = gh.client();
    const logIn = await other.ok(EndUserLogInDocument, {
      projectId,
      input: { email: signed.email.toUpperCase(), password: PASSWORD, returnRefreshToken: true },
    });
    expect(logIn.endUserLogIn.__typename).toBe("EndUserAuthPayload");
    const refreshed = await other.ok(EndUserRefreshSessionDocument, {
      projectId,
      refreshToken: signed.tokens.refreshToken,
    });
    expect(refreshed.endUserRefreshSession.endUser.id).toBe(signed.endUser.id);
    const wrong = await other.request(EndUserLogInDocument, {
      projectId,
      input: { email: signed.email, password: "wrong password!" },
    });
    expect(errorCodes(wrong)).toEqual(["UNAUTHENTICATED"]);
  });
});
