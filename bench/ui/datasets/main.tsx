// A stand-alone page for the Datasets view over the real core, served by screenshots.mjs: the shell's
// sidebar is a stand-in, the client speaks HTTP to the story server (the app uses IPC instead).
import { createRoot } from 'react-dom/client';
import type { DatasetsClient, PreprocessOutcome } from '../../../src/shared/datasets';
import type { Progress } from '../../../src/shared/progress';
import { DatasetsPage } from '../../../src/renderer/src/datasets/DatasetsPage';

async function call<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`/api/${path}`, { method: 'POST', body: JSON.stringify(body) });
  const answer = (await response.json()) as { ok: T } | { error: string };
  if ('error' in answer) throw new Error(answer.error);
  return answer.ok;
}

const client: DatasetsClient = {
  list: () => call('list', {}),
  page: (request) => call('page', request),
  stats: (request) => call('stats', request),
  async preprocess(request, onProgress, signal) {
    const slow = new URLSearchParams(location.search).get('slow');
    const response = await fetch('/api/preprocess', { method: 'POST', body: JSON.stringify({ request, slow }), signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the story server closed the stream');
      buffer += value;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as { progress?: Progress; ok?: PreprocessOutcome; error?: string };
        buffer = buffer.slice(nl + 1);
        if (line.progress) onProgress(line.progress);
        if (line.ok) return line.ok;
        if (line.error) throw new Error(line.error);
      }
    }
  },
};

createRoot(document.getElementById('root')!).render(
  <div className="shell">
    <aside className="shell-sidebar">
      <b>Experiment Manager</b>
      <p>(app sidebar stand-in, 260 px)</p>
    </aside>
    <div className="shell-main">
      <DatasetsPage client={client} />
    </div>
  </div>,
);
