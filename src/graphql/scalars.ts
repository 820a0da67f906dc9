import { DateTimeResolver, EmailAddressResolver, UUIDResolver } from "graphql-scalars";

export {
  DateTimeResolver as DateTimeScalar,
  EmailAddressResolver as EmailAddressScalar,
  UUIDResolver as UUIDScalar,
};
