import { useEffect, useState, type ReactNode } from 'react';
import { can, handleUnauthorized, loadSession, logout, type Session, type SessionUser } from './api.js';
import { AuditLogPage } from './pages/audit-log.js';
import { DatasetDetailPage } from './pages/dataset-detail.js';
import { DatasetUploadPage } from './pages/dataset-upload.js';
import { DatasetsPage } from './pages/datasets.js';
import { JobCreatePage } from './pages/job-create.js';
import { JobDetailPage } from './pages/job-detail.js';
import { JobsPage } from './pages/jobs.js';
import { NodesPage } from './pages/nodes.js';
import { ReportDetailPage } from './pages/report-detail.js';
import { ReportsPage } from './pages/reports.js';
import { Link, match, Router, useRouter } from './router.js';
import { Loading, NoAccess } from './ui.js';

interface NavItem {
  readonly to: string;
  readonly label: string;
  readonly permission: string;
  readonly role: string;
}

const NAV: readonly NavItem[] = [
  { to: '/datasets', label: 'Datasets', permission: 'datasets:read', role: 'data engineer' },
  { to: '/jobs', label: 'Fine-tuning jobs', permission: 'jobs:read', role: 'data engineer' },
  { to: '/nodes', label: 'Nodes', permission: 'nodes:read', role: 'data engineer or node operator' },
  { to: '/reports', label: 'Attestation reports', permission: 'attestation:read', role: 'auditor' },
  { to: '/audit', label: 'Audit log', permission: 'audit:read', role: 'auditor' },
];

interface Route {
  readonly pattern: string;
  readonly permission: string;
  readonly role: string;
  readonly what: string;
  render(params: Record<string, string>, user: SessionUser): ReactNode;
}

const ROUTES: readonly Route[] = [
  { pattern: '/datasets', permission: 'datasets:read', role: 'data engineer', what: 'datasets', render: (_p, u) => <DatasetsPage user={u} /> },
  { pattern: '/datasets/new', permission: 'datasets:write', role: 'data engineer', what: 'dataset upload', render: () => <DatasetUploadPage /> },
  { pattern: '/datasets/:id', permission: 'datasets:read', role: 'data engineer', what: 'this dataset', render: (p) => <DatasetDetailPage id={p.id!} /> },
  { pattern: '/jobs', permission: 'jobs:read', role: 'data engineer', what: 'jobs', render: (_p, u) => <JobsPage user={u} /> },
  { pattern: '/jobs/new', permission: 'jobs:write', role: 'data engineer', what: 'starting jobs', render: () => <JobCreatePage /> },
  { pattern: '/jobs/:id', permission: 'jobs:read', role: 'data engineer', what: 'this job', render: (p, u) => <JobDetailPage id={p.id!} user={u} /> },
  { pattern: '/nodes', permission: 'nodes:read', role: 'data engineer or node operator', what: 'nodes', render: () => <NodesPage /> },
  { pattern: '/reports', permission: 'attestation:read', role: 'auditor', what: 'attestation reports', render: () => <ReportsPage /> },
  { pattern: '/reports/:id', permission: 'attestation:read', role: 'auditor', what: 'this attestation report', render: (p) => <ReportDetailPage id={p.id!} /> },
  { pattern: '/audit', permission: 'audit:read', role: 'auditor', what: 'the audit log', render: () => <AuditLogPage /> },
];

const ROLE_NAMES: Record<string, string> = { admin: 'Administrator', data_engineer: 'Data engineer', auditor: 'Auditor (read-only)', node_operator: 'Node operator' };

export function App() {
  return (
    <Router>
      <Root />
    </Router>
  );
}

function Root() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    loadSession().then(setSession, () => setSession(null));
    handleUnauthorized(() => setExpired(true));
  }, []);
  if (session === undefined) return <Loading what="your session" />;
  if (session === null) return <SignIn />;
  return <Shell user={session.user} expired={expired} />;
}

const LOGIN_ERRORS: Record<string, string> = {
  state_mismatch: 'The sign-in could not be matched to this browser tab. Start again from this page.',
  login_expired: 'The sign-in took too long. Start again.',
  idp_error: 'The identity provider refused the sign-in.',
};

function SignIn() {
  const { path, search } = useRouter();
  const error = search.get('login_error');
  const returnTo = path === '/' ? '/' : path + (search.toString() ? `?${search.toString()}` : '');
  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <p className="brand-mark" aria-hidden="true">
          confide
        </p>
        <h1>Sign in to the confide console</h1>
        <p>Upload datasets, run private fine-tuning jobs on attested hardware, and check the evidence.</p>
        {error ? (
          <p className="inline-error" role="alert">
            {LOGIN_ERRORS[error] ?? 'Sign-in failed. Try again; if it keeps failing, contact your administrator.'}
          </p>
        ) : null}
        <a className="button primary" href={`/auth/login?return_to=${encodeURIComponent(returnTo)}`}>
          Sign in with your organisation
        </a>
      </div>
    </main>
  );
}

function Shell({ user, expired }: { user: SessionUser; expired: boolean }) {
  const { path, navigate } = useRouter();
  const nav = NAV.filter((n) => can(user, n.permission));
  useEffect(() => {
    if (path === '/' && nav[0]) navigate(nav[0].to);
  }, [path, nav, navigate]);

  let content: ReactNode = null;
  for (const r of ROUTES) {
    const params = match(r.pattern, path);
    if (!params) continue;
    content = can(user, r.permission) ? r.render(params, user) : <NoAccess what={r.what} role={r.role} />;
    break;
  }
  if (content === null && path !== '/') {
    content = (
      <div className="state empty">
        <h1 id="page-title">Page not found</h1>
        <p>Use the navigation on the left to find what you need.</p>
      </div>
    );
  }
  useEffect(() => {
    document.title = `${nav.find((n) => path.startsWith(n.to))?.label ?? 'confide'} · confide console`;
  }, [path, nav]);

  const signOut = async () => {
    await logout();
    location.assign('/');
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          confide
        </Link>
        <span className="tenant" title="Organisation">
          {user.tenant_id}
        </span>
        <div className="user">
          <span className="user-name">{user.name ?? user.email ?? user.subject}</span>
          <span className="role-badge">{user.roles.map((r) => ROLE_NAMES[r] ?? r).join(', ') || 'No role'}</span>
          <button type="button" className="button ghost" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {nav.map((n) => (
            <li key={n.to}>
              <Link to={n.to} aria-current={path === n.to || path.startsWith(`${n.to}/`) ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
        {nav.length === 0 ? <p className="hint">Your role has no console pages. Ask an administrator for a role.</p> : null}
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {expired ? (
          <div className="banner" role="alert">
            Your session has ended. <a href={`/auth/login?return_to=${encodeURIComponent(path)}`}>Sign in again</a> to continue.
          </div>
        ) : null}
        {content}
      </main>
    </div>
  );
}
