import { useEffect, useId, type JSX, type ReactNode } from 'react';
import './archive.css';

export interface ModalProps {
  title: string;
  lead?: ReactNode;
  /** While a task runs, Escape and a click outside do nothing (Cancel is the way out). */
  busy: boolean;
  onClose: () => void;
  children: ReactNode;
  actions: ReactNode;
  wide?: boolean;
}

/** The overlay, frame, title and action row the archive and sync dialogs share. */
export function Modal({ title, lead, busy, onClose, children, actions, wide = false }: ModalProps): JSX.Element {
  const id = useId();
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && !busy) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [busy, onClose]);
  return (
    <div className="arc-overlay" onMouseDown={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <div className={`arc-dialog${wide ? ' arc-dialog-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>{title}</h2>
        {lead && <p className="arc-muted arc-lead">{lead}</p>}
        {children}
        <div className="arc-actions">{actions}</div>
      </div>
    </div>
  );
}
