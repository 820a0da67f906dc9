import type { CodegenConfig } from "@graphql-codegen/cli";

/** Typed documents for the operations the tests send, checked against the emitted schema. */
const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  documents: ["tests/operations/**/*.graphql"],
  generates: {
    "tests/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", EmailAddress: "string", UUID: "string" },
      },
    },
  },
};

export default config;
