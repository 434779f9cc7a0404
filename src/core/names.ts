/**
 * The rule for names that become folder names under $DATA (datasets, experiments, runs): no separators,
 * no `..`, nothing a shell or another OS would trip over. Plain data, so the config schema can use it.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters";

export function isValidName(name: string): boolean {
  return NAME.test(name) && !name.includes('..');
}
