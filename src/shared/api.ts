/**
 * The object the preload script exposes to the renderer as `window.api`.
 *
 * Shared by the preload (which builds it) and the renderer (which reads it), so it must stay free of
 * runtime dependencies: no Electron, no Node built-ins. The real, typed IPC API is added in a later
 * issue; for now the renderer only needs to know which versions it runs on.
 */
export interface ExpmanApi {
  /** Experiment Manager's own version (package.json "version"), as reported by the main process. */
  readonly version: string;
  /** Versions of the Electron runtime hosting the window. */
  readonly runtime: {
    readonly electron: string;
    readonly chrome: string;
    readonly node: string;
  };
}

/**
 * Command-line switch the main process appends to the renderer's argv (webPreferences.additionalArguments)
 * to hand the app version to the sandboxed preload, which cannot call `app.getVersion()` itself.
 */
export const APP_VERSION_ARG = '--expman-app-version=';
