import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, test, vi } from 'vitest';

// The one place electron is mocked: the menu module imports Menu for installMenu().
const built: unknown[] = [];
vi.mock('electron', () => ({
  Menu: {
    buildFromTemplate: (template: unknown) => ({ template }),
    setApplicationMenu: (menu: unknown) => void built.push(menu),
  },
}));
const { buildMenuTemplate, installMenu } = await import('../../src/main/menu.js');

const noop = () => undefined;
const actions = {
  openDataFolder: vi.fn(),
  openExperimentFolder: vi.fn(),
  revealInFileManager: vi.fn(),
  openAppLog: noop,
  showAbout: noop,
  openDocumentation: noop,
};

function labels(items: MenuItemConstructorOptions[]): string[] {
  return items.map((i) => i.label ?? i.role ?? (i.type === 'separator' ? '---' : '?'));
}
function submenu(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions[] {
  const item = template.find((i) => i.label === label || i.role === label);
  return item?.submenu as MenuItemConstructorOptions[];
}

describe('application menu', () => {
  test('File has Open Data/Experiment Folder, Reveal and Quit; no Archive item until it is wired', () => {
    const template = buildMenuTemplate(actions, { isMac: false, isDev: false });
    expect(labels(template)).toEqual(['File', 'editMenu', 'View', 'windowMenu', 'help']);
    expect(labels(submenu(template, 'File'))).toEqual(['Open Data Folder…', 'Open Experiment Folder…', '---', 'Reveal in File Manager', '---', 'quit']);
    const open = submenu(template, 'File')[0]!;
    expect(open.accelerator).toBe('CmdOrCtrl+O');
    (open.click as () => void)();
    expect(actions.openDataFolder).toHaveBeenCalledOnce();
    expect(labels(submenu(template, 'View'))).not.toContain('toggleDevTools');
    expect(labels(submenu(template, 'help'))).toEqual(['Documentation', 'Open App Log', '---', 'About Experiment Manager']);
  });

  test('Archive and Sync appear when their actions exist; macOS gets the app menu; dev gets devtools', () => {
    const template = buildMenuTemplate({ ...actions, archiveData: noop, syncData: noop }, { isMac: true, isDev: true });
    expect(labels(template)[0]).toBe('appMenu');
    expect(labels(submenu(template, 'File'))).toEqual(['Open Data Folder…', 'Open Experiment Folder…', '---', 'Reveal in File Manager', '---', 'Archive Data…', 'Sync Data…']);
    expect(labels(submenu(template, 'View'))).toContain('toggleDevTools');
  });

  test('installMenu builds and sets the application menu', () => {
    installMenu(actions, { isMac: false, isDev: false });
    expect(built).toHaveLength(1);
  });
});
