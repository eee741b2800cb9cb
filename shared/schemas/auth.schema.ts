import { z } from 'zod';
import { RoleSchema } from '../access';
import { DistrictIdSchema, EpochMsSchema, IdSchema } from './common.schema';

export const UsernameSchema = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"');

/** At least 12 characters: long passphrases beat composition rules (NIST SP 800-63B). */
export const PasswordSchema = z.string().min(12, 'at least 12 characters').max(256);

/** `POST /api/v1/auth/login` */
export const LoginRequestSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

/** A user as the API shows it (never the password hash). */
export const UserSchema = z.object({
  id: IdSchema,
  username: UsernameSchema,
  displayName: z.string().min(1).max(64),
  role: RoleSchema,
  /** Districts the user may see; null means the whole city. */
  districtIds: z.array(DistrictIdSchema).nullable(),
  /** For grid workers: the roster entry (their cells and work orders). */
  workerId: IdSchema.nullable(),
  disabled: z.boolean(),
  /** Created by the demo mode of `npm start`; its password is reset and printed at every demo start. */
  demo: z.boolean(),
  createdAt: EpochMsSchema,
  updatedAt: EpochMsSchema,
  lastLoginAt: EpochMsSchema.nullable(),
});
export type User = z.infer<typeof UserSchema>;

/** `POST /api/v1/users` (admin) */
export const UserCreateSchema = z
  .object({
    username: UsernameSchema,
    displayName: z.string().min(1).max(64),
    role: RoleSchema,
    districtIds: z.array(DistrictIdSchema).nullable().default(null),
    workerId: IdSchema.nullable().default(null),
    password: PasswordSchema,
  })
  .strict();
export type UserCreate = z.infer<typeof UserCreateSchema>;

/** `PATCH /api/v1/users/:id` (admin) */
export const UserUpdateSchema = z
  .object({
    displayName: z.string().min(1).max(64),
    role: RoleSchema,
    districtIds: z.array(DistrictIdSchema).nullable(),
    workerId: IdSchema.nullable(),
    disabled: z.boolean(),
    password: PasswordSchema,
  })
  .partial()
  .strict();
export type UserUpdate = z.infer<typeof UserUpdateSchema>;

/** `GET /api/v1/auth/me` and the login response: who is signed in, and what they may do. */
export const SessionInfoSchema = z.object({
  user: UserSchema,
  permissions: z.array(z.string()),
  /** When the session ends unless renewed by use, epoch ms. */
  expiresAt: EpochMsSchema,
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

/** Name of the session cookie (httpOnly, SameSite=Lax). */
export const SESSION_COOKIE = 'cityops_session';
