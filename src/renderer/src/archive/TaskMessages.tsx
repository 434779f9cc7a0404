import type { JSX } from 'react';

/** A dialog's outcome line: the core's error (alert) or a neutral notice (status), as the task left it. */
export function TaskMessages({ failure, notice }: { failure?: string | null; notice?: string | null }): JSX.Element {
  return (
    <>
      {failure && (
        <p className="arc-error" role="alert">
          {failure}
        </p>
      )}
      {notice && (
        <p className="arc-notice" role="status">
          {notice}
        </p>
      )}
    </>
  );
}
