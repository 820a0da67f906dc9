import {
  Kind,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from "graphql";

/**
 * Whether the query asks for `path` below the field being resolved (through inline fragments
 * and fragment spreads), so a loader can fetch what a level needs with that level's statement.
 */
export function selectsPath(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  return info.fieldNodes.some(
    (node) => node.selectionSet !== undefined && walk(node.selectionSet, path, info.fragments),
  );
}

function walk(
  set: SelectionSetNode,
  path: readonly string[],
  fragments: Record<string, FragmentDefinitionNode>,
): boolean {
  const [head, ...rest] = path;
  return set.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== head) return false;
      if (rest.length === 0) return true;
      return selection.selectionSet !== undefined && walk(selection.selectionSet, rest, fragments);
    }
    if (selection.kind === Kind.INLINE_FRAGMENT)
      return walk(selection.selectionSet, path, fragments);
    const fragment = fragments[selection.name.value];
    return fragment !== undefined && walk(fragment.selectionSet, path, fragments);
  });
}

/** Where a connection of memberships names its users. */
export const MEMBER_USER = ["edges", "node", "user"] as const;
