import { PERMISSIONS, permissionsFor } from './permissions.js';

describe('permissionsFor', () => {
  it('grants admins everything', () => {
    expect([...permissionsFor(['admin'])].sort()).toEqual([...PERMISSIONS].sort());
  });
  it('keeps auditors read-only', () => {
    const p = permissionsFor(['auditor']);
    expect(p.has('audit:read')).toBe(true);
    expect([...p].some((x) => x.endsWith(':write') || x.endsWith(':operate'))).toBe(false);
  });
  it('keeps data engineers away from the audit log', () => {
    expect(permissionsFor(['data_engineer']).has('audit:read')).toBe(false);
  });
  it('ignores unknown roles', () => {
    expect(permissionsFor(['superuser', '__proto__']).size).toBe(0);
  });
});
