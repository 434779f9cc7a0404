/**
 * Which folder a launch asks the app to open: the first argument that is not a switch, after the
 * executable (and, when Electron runs an unpackaged app, the app path). Chromium adds its own `--switches`
 * to a second instance's argv, so switches are skipped wherever they are.
 */
export function folderFromArgv(argv: readonly string[], isPackaged: boolean): string | undefined {
  const rest = argv.slice(isPackaged ? 1 : 2);
  return rest.find((arg) => !arg.startsWith('-') && arg.length > 0);
}
