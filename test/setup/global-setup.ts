// Runs once before all test files. Database-backed suites create their own databases (see test/support).
export default async function globalSetup(): Promise<void> {
  process.env.CONFIDE_TEST = '1';
}
