import { useEffect, useId, type FormEvent, type JSX, type ReactNode } from 'react';
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
  /** Makes the dialog a form: Enter in a field submits it (the Preprocess dialog). */
  onSubmit?: () => void;
}

/** The overlay, frame, title and action row every long-task dialog shares (Archive, Sync, Preprocess). */
export function Modal({ title, lead, busy, onClose, children, actions, wide = false, onSubmit }: ModalProps): JSX.Element {
  const id = useId();
  const Frame = onSubmit ? 'form' : 'div';
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && !busy) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [busy, onClose]);
  return (
    <div className="arc-overlay" onMouseDown={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <Frame
        className={`arc-dialog${wide ? ' arc-dialog-wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        {...(onSubmit
          ? {
              onSubmit: (e: FormEvent) => {
                e.preventDefault();
                onSubmit();
              },
            }
          : {})}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        {lead && <p className="arc-muted arc-lead">{lead}</p>}
        {children}
        <div className="arc-actions">{actions}</div>
      </Frame>
    </div>
  );
}
