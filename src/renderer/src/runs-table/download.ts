/**
 * Saves text as a file the way a browser page can: a Blob URL and an `<a download>` click. In the
 * desktop app Electron turns that click into its save dialog.
 */
export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download; the URL can go after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
