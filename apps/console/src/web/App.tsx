import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { live, useLiveStatus } from './live';
import { clearToken, decodeToken, getToken } from './session';
import { SignIn } from './pages/SignIn';

// Each page is its own chunk: the first load carries the shell and the page it opens.
const Overview = lazy(() => import('./pages/Overview'));
const Workflows = lazy(() => import('./pages/Workflows'));
const WorkflowCanvas = lazy(() => import('./pages/WorkflowCanvas'));
const Webhooks = lazy(() => import('./pages/Webhooks'));
const Deliveries = lazy(() => import('./pages/Deliveries'));
const Items = lazy(() => import('./pages/Items'));
const ItemPage = lazy(() => import('./pages/ItemPage'));
const DeadLetters = lazy(() => import('./pages/DeadLetters'));

const NAV = [
  ['/', 'Overview'],
  ['/workflows', 'Workflows'],
  ['/webhooks', 'Webhooks'],
  ['/deliveries', 'Deliveries'],
  ['/items', 'Items'],
  ['/dead-letters', 'Dead letters'],
] as const;

export function App() {
  const [token, setTokenState] = useState(getToken());
  const [location] = useLocation();
  if (location === '/signin' || !token) {
    return <SignIn onSignedIn={(t) => setTokenState(t)} signedIn={Boolean(token)} />;
  }
  return <Shell token={token} onSignOut={() => setTokenState(undefined)} />;
}

function Shell({ token, onSignOut }: { token: string; onSignOut: () => void }) {
  const queryClient = useQueryClient();
  const [location] = useLocation();
  const status = useLiveStatus();
  const projectId = decodeToken(token)?.projectId ?? '?';
  useEffect(() => {
    live.start(queryClient);
    return () => live.stop();
  }, [queryClient, token]);

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Stagehook</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([href, label]) => {
              const current = href === '/' ? location === '/' : location.startsWith(href);
              return (
                <li key={href}>
                  <Link href={href} aria-current={current ? 'page' : undefined}>
                    {label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <span className={`live-dot ${status}`} role="status" aria-live="polite">
          {status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline'}
        </span>
        <span className="project" title="Signed-in project">
          {projectId}
        </span>
        <button
          type="button"
          onClick={() => {
            live.stop();
            clearToken();
            queryClient.clear();
            onSignOut();
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p role="status">Loading…</p>}>
          <Switch>
            <Route path="/" component={Overview} />
            <Route path="/workflows" component={Workflows} />
            <Route path="/workflows/:id">{(p) => <WorkflowCanvas id={p.id} />}</Route>
            <Route path="/webhooks" component={Webhooks} />
            <Route path="/deliveries">{() => <Deliveries />}</Route>
            <Route path="/deliveries/:id">{(p) => <Deliveries selected={p.id} />}</Route>
            <Route path="/items" component={Items} />
            <Route path="/items/:id">{(p) => <ItemPage id={p.id} />}</Route>
            <Route path="/dead-letters" component={DeadLetters} />
            <Route>
              <Redirect to="/" />
            </Route>
          </Switch>
        </Suspense>
      </main>
    </div>
  );
}
