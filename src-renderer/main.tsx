import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import './styles/base.css';
import './styles/layout.css';
import './styles/feed.css';
import './styles/detail.css';
import './styles/views.css';

const queryClient = new QueryClient({
  defaultOptions: {
    // Data comes from the local host over IPC/loopback, and pushes keep it fresh.
    queries: { networkMode: 'always', staleTime: Infinity, retry: 1, refetchOnWindowFocus: false },
    mutations: { networkMode: 'always' },
  },
});

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </StrictMode>,
  );
}
