/**
 * The one permission matrix. Shield rules and the `viewerPermissions` fields both read it, so
 * what the API enforces and what it tells a UI cannot disagree. Tenancy roles join with the
 * tenancy issue; platform roles are here now.
 */
export const PLATFORM_PERMISSIONS = {
  USER: [] as const,
  ADMIN: ["platform.users.read", "platform.users.update"] as const,
} as const;

export type PlatformRoleName = keyof typeof PLATFORM_PERMISSIONS;
export type PlatformPermission = (typeof PLATFORM_PERMISSIONS)["ADMIN"][number];

export function platformRoleHas(role: PlatformRoleName, permission: PlatformPermission): boolean {
  return (PLATFORM_PERMISSIONS[role] as readonly string[]).includes(permission);
}
