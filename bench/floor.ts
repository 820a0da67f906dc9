/**
 * The GraphQL floor: a bare Apollo Server 5 standalone `{ hello }` from the project's own
 * dependencies, run by the bench in its own process (NODE_ENV=production) on PORT. Every scenario
 * is reported as a ratio to its req/s in the same run, since absolute figures drift on shared
 * machines.
 */
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const server = new ApolloServer({
  typeDefs: "type Query { hello: String }",
  resolvers: { Query: { hello: () => "world" } },
});
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(process.env.PORT) },
});
console.log(`floor ready at ${url}`);
