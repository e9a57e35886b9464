import { z } from 'zod';

const REGION = /^[a-z]{2}(-[a-z0-9-]{1,30})?$/;

export const OrganizationSchema = z.object({
  id: z.string(),
  object: z.literal('organization'),
  display_name: z.string(),
  data_residency: z.array(z.string()),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type Organization = z.infer<typeof OrganizationSchema>;

export const UpdateOrganizationSchema = z.strictObject({
  display_name: z.string().trim().min(1).max(200).optional(),
  data_residency: z
    .array(z.string().regex(REGION, 'must be a region code such as "eu" or "eu-west-1"'))
    .max(50)
    .optional(),
});
export type UpdateOrganization = z.infer<typeof UpdateOrganizationSchema>;

export const MeSchema = z.object({
  subject: z.string(),
  tenant_id: z.string(),
  roles: z.array(z.string()),
  permissions: z.array(z.string()),
  client_id: z.string().optional(),
});
export type Me = z.infer<typeof MeSchema>;
