import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { HighlightStyle, StreamLanguage, bracketMatching, syntaxHighlighting } from '@codemirror/language';
import { toml } from '@codemirror/legacy-modes/mode/toml';
import { lintGutter, lintKeymap, setDiagnostics } from '@codemirror/lint';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { EditorSelection, EditorState } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { useEffect, useImperativeHandle, useRef, type JSX, type Ref } from 'react';
import type { ConfigIssueDto } from '../../../shared/config';
import { issuesToDiagnostics } from './diagnostics';

export interface TomlEditorHandle {
  /** Moves the cursor to a 1-based line/column, scrolls it into view and focuses the editor. */
  revealPosition(line: number, column?: number): void;
}

export interface TomlEditorProps {
  value: string;
  onChange: (value: string) => void;
  /** Problems to underline (from the core's validation of this text). */
  issues: readonly ConfigIssueDto[];
  ariaLabel?: string;
  ref?: Ref<TomlEditorHandle>;
}

// Colours come from the app's theme variables, so light and dark themes both read well.
const tomlHighlight = HighlightStyle.define([
  { tag: tags.propertyName, color: 'var(--cfg-tok-key, var(--accent))' },
  { tag: tags.string, color: 'var(--cfg-tok-string, var(--ok))' },
  { tag: tags.number, color: 'var(--cfg-tok-number, var(--warn))' },
  { tag: tags.atom, color: 'var(--cfg-tok-atom, var(--accent))', fontWeight: '600' },
  { tag: tags.comment, color: 'var(--fg-muted)', fontStyle: 'italic' },
  { tag: tags.bracket, color: 'var(--fg-muted)' },
]);

const editorTheme = EditorView.theme({
  '&': { height: '100%', backgroundColor: 'var(--bg-sunken)', color: 'var(--fg)' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', fontSize: '13px', lineHeight: '1.6' },
  '.cm-content': { caretColor: 'var(--fg)', padding: 'var(--space) 0' },
  '.cm-gutters': { backgroundColor: 'var(--bg-sunken)', color: 'var(--fg-muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--accent) 7%, transparent)' },
  '.cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 12%, transparent)', color: 'var(--fg)' },
  '.cm-selectionBackground, &.cm-focused .cm-selectionBackground': { backgroundColor: 'color-mix(in srgb, var(--accent) 25%, transparent) !important' },
  '.cm-tooltip': { backgroundColor: 'var(--bg-raised)', color: 'var(--fg)', border: '1px solid var(--border)', borderRadius: 'var(--radius)' },
  '.cm-diagnostic': { fontFamily: 'var(--font-ui)', fontSize: '12px' },
  '.cm-panels': { backgroundColor: 'var(--bg-raised)', color: 'var(--fg)' },
  '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy var(--danger)', textDecorationSkipInk: 'none', textUnderlineOffset: '3px' },
});

/** Replaces only the part of the document that differs, so the cursor and undo history stay meaningful. */
function minimalChange(current: string, next: string): { from: number; to: number; insert: string } {
  let start = 0;
  const max = Math.min(current.length, next.length);
  while (start < max && current.charCodeAt(start) === next.charCodeAt(start)) start++;
  let endCurrent = current.length;
  let endNext = next.length;
  while (endCurrent > start && endNext > start && current.charCodeAt(endCurrent - 1) === next.charCodeAt(endNext - 1)) {
    endCurrent--;
    endNext--;
  }
  return { from: start, to: endCurrent, insert: next.slice(start, endNext) };
}

/**
 * The config's TOML in CodeMirror 6: syntax highlighting, line numbers, undo history, search (Ctrl-F),
 * and the core's validation issues as underlined diagnostics with messages on hover.
 */
export function TomlEditor({ value, onChange, issues, ariaLabel = 'Config TOML', ref }: TomlEditorProps): JSX.Element {
  const parentRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  // The first value seeds the document; later values arrive through the effect below.
  const initialValue = useRef(value);

  useEffect(() => {
    const view = new EditorView({
      parent: parentRef.current!,
      state: EditorState.create({
        doc: initialValue.current,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          lintGutter(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          highlightSelectionMatches(),
          search({ top: true }),
          StreamLanguage.define(toml),
          syntaxHighlighting(tomlHighlight),
          placeholder('# Nothing set here yet: every value is inherited.\n# Example:\n# [training]\n# epochs = 50'),
          keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, ...lintKeymap, indentWithTab]),
          editorTheme,
          EditorView.contentAttributes.of({ 'aria-label': ariaLabel }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChangeRef.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    viewRef.current = view;
    return () => {
      view.destroy();
      viewRef.current = null;
    };
  }, [ariaLabel]);

  // Text changed outside the editor (a form edit, Revert): apply the difference.
  useEffect(() => {
    const view = viewRef.current;
    if (!view) return;
    const current = view.state.doc.toString();
    if (current !== value) view.dispatch({ changes: minimalChange(current, value) });
  }, [value]);

  useEffect(() => {
    const view = viewRef.current;
    if (!view) return;
    view.dispatch(setDiagnostics(view.state, issuesToDiagnostics(view.state.doc, issues)));
  }, [issues, value]);

  useImperativeHandle(
    ref,
    () => ({
      revealPosition(line: number, column = 1) {
        const view = viewRef.current;
        if (!view) return;
        const doc = view.state.doc;
        const target = doc.line(Math.min(Math.max(1, line), doc.lines));
        const pos = target.from + Math.min(Math.max(0, column - 1), target.length);
        view.dispatch({ selection: EditorSelection.cursor(pos), effects: EditorView.scrollIntoView(pos, { y: 'center' }) });
        view.focus();
      },
    }),
    [],
  );

  return <div className="cfg-toml" ref={parentRef} />;
}
