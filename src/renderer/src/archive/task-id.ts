let counter = 0;

/** A task id the backend accepts (letters, digits, "_" and "-"), unique within this window. */
export function newTaskId(prefix: 'archive' | 'sync'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}
