/** Types of bench/run-folders.mjs (plain JavaScript, so the bench runs without a build). */
export function runParams(i: number, seeds?: number): { learning_rate: number; hidden_units: string; dropout: number; seed: number };
export function writeRunFolders(root: string, options: { experiment?: string; count: number; epochs?: number; batches?: number; seeds?: number; params?: boolean }): Promise<string>;
