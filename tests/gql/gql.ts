/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment SessionFields on Session {\n  id\n  createdAt\n  lastUsedAt\n  expiresAt\n  ipAddress\n  userAgent\n  current\n}\n\nfragment AuthPayloadFields on AuthPayload {\n  user {\n    id\n    email\n    fullName\n    platformRole\n    emailVerified\n    mfaEnabled\n    createdAt\n  }\n  session {\n    ...SessionFields\n  }\n  tokens {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n  }\n}\n\nmutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    __typename\n    ... on AuthPayload {\n      ...AuthPayloadFields\n    }\n    ... on MfaChallenge {\n      mfaToken\n      expiresAt\n    }\n  }\n}\n\nmutation RefreshSession($refreshToken: String) {\n  refreshSession(refreshToken: $refreshToken) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation LogOut {\n  logOut\n}\n\nmutation ChangePassword($input: ChangePasswordInput!) {\n  changePassword(input: $input)\n}": typeof types.SessionFieldsFragmentDoc,
    "query Me {\n  me {\n    id\n    email\n    fullName\n    phone\n    platformRole\n  }\n}\n\nquery MySessions($first: Int, $after: String) {\n  me {\n    id\n    sessions(first: $first, after: $after) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        cursor\n        node {\n          ...SessionFields\n        }\n      }\n    }\n  }\n}\n\nmutation UpdateProfile($input: UpdateProfileInput!) {\n  updateProfile(input: $input) {\n    id\n    fullName\n    phone\n  }\n}\n\nmutation RevokeSession($id: UUID!) {\n  revokeSession(id: $id)\n}\n\nmutation RevokeAllSessions($keepCurrent: Boolean) {\n  revokeAllSessions(keepCurrent: $keepCurrent)\n}": typeof types.MeDocument,
};
const documents: Documents = {
    "fragment SessionFields on Session {\n  id\n  createdAt\n  lastUsedAt\n  expiresAt\n  ipAddress\n  userAgent\n  current\n}\n\nfragment AuthPayloadFields on AuthPayload {\n  user {\n    id\n    email\n    fullName\n    platformRole\n    emailVerified\n    mfaEnabled\n    createdAt\n  }\n  session {\n    ...SessionFields\n  }\n  tokens {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n  }\n}\n\nmutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    __typename\n    ... on AuthPayload {\n      ...AuthPayloadFields\n    }\n    ... on MfaChallenge {\n      mfaToken\n      expiresAt\n    }\n  }\n}\n\nmutation RefreshSession($refreshToken: String) {\n  refreshSession(refreshToken: $refreshToken) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation LogOut {\n  logOut\n}\n\nmutation ChangePassword($input: ChangePasswordInput!) {\n  changePassword(input: $input)\n}": types.SessionFieldsFragmentDoc,
    "query Me {\n  me {\n    id\n    email\n    fullName\n    phone\n    platformRole\n  }\n}\n\nquery MySessions($first: Int, $after: String) {\n  me {\n    id\n    sessions(first: $first, after: $after) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        cursor\n        node {\n          ...SessionFields\n        }\n      }\n    }\n  }\n}\n\nmutation UpdateProfile($input: UpdateProfileInput!) {\n  updateProfile(input: $input) {\n    id\n    fullName\n    phone\n  }\n}\n\nmutation RevokeSession($id: UUID!) {\n  revokeSession(id: $id)\n}\n\nmutation RevokeAllSessions($keepCurrent: Boolean) {\n  revokeAllSessions(keepCurrent: $keepCurrent)\n}": types.MeDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment SessionFields on Session {\n  id\n  createdAt\n  lastUsedAt\n  expiresAt\n  ipAddress\n  userAgent\n  current\n}\n\nfragment AuthPayloadFields on AuthPayload {\n  user {\n    id\n    email\n    fullName\n    platformRole\n    emailVerified\n    mfaEnabled\n    createdAt\n  }\n  session {\n    ...SessionFields\n  }\n  tokens {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n  }\n}\n\nmutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    __typename\n    ... on AuthPayload {\n      ...AuthPayloadFields\n    }\n    ... on MfaChallenge {\n      mfaToken\n      expiresAt\n    }\n  }\n}\n\nmutation RefreshSession($refreshToken: String) {\n  refreshSession(refreshToken: $refreshToken) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation LogOut {\n  logOut\n}\n\nmutation ChangePassword($input: ChangePasswordInput!) {\n  changePassword(input: $input)\n}"): (typeof documents)["fragment SessionFields on Session {\n  id\n  createdAt\n  lastUsedAt\n  expiresAt\n  ipAddress\n  userAgent\n  current\n}\n\nfragment AuthPayloadFields on AuthPayload {\n  user {\n    id\n    email\n    fullName\n    platformRole\n    emailVerified\n    mfaEnabled\n    createdAt\n  }\n  session {\n    ...SessionFields\n  }\n  tokens {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n  }\n}\n\nmutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    __typename\n    ... on AuthPayload {\n      ...AuthPayloadFields\n    }\n    ... on MfaChallenge {\n      mfaToken\n      expiresAt\n    }\n  }\n}\n\nmutation RefreshSession($refreshToken: String) {\n  refreshSession(refreshToken: $refreshToken) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation LogOut {\n  logOut\n}\n\nmutation ChangePassword($input: ChangePasswordInput!) {\n  changePassword(input: $input)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    email\n    fullName\n    phone\n    platformRole\n  }\n}\n\nquery MySessions($first: Int, $after: String) {\n  me {\n    id\n    sessions(first: $first, after: $after) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        cursor\n        node {\n          ...SessionFields\n        }\n      }\n    }\n  }\n}\n\nmutation UpdateProfile($input: UpdateProfileInput!) {\n  updateProfile(input: $input) {\n    id\n    fullName\n    phone\n  }\n}\n\nmutation RevokeSession($id: UUID!) {\n  revokeSession(id: $id)\n}\n\nmutation RevokeAllSessions($keepCurrent: Boolean) {\n  revokeAllSessions(keepCurrent: $keepCurrent)\n}"): (typeof documents)["query Me {\n  me {\n    id\n    email\n    fullName\n    phone\n    platformRole\n  }\n}\n\nquery MySessions($first: Int, $after: String) {\n  me {\n    id\n    sessions(first: $first, after: $after) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        cursor\n        node {\n          ...SessionFields\n        }\n      }\n    }\n  }\n}\n\nmutation UpdateProfile($input: UpdateProfileInput!) {\n  updateProfile(input: $input) {\n    id\n    fullName\n    phone\n  }\n}\n\nmutation RevokeSession($id: UUID!) {\n  revokeSession(id: $id)\n}\n\nmutation RevokeAllSessions($keepCurrent: Boolean) {\n  revokeAllSessions(keepCurrent: $keepCurrent)\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;