/**
 * The rule for names that become folder names under $DATA (datasets, experiments, runs): no separators,
 * no `..`, nothing a shell or another OS would trip over. Defined once here: the core checks it
 * (`checkName`, the config schema), the API's request schemas parse with it, and the UI's name inputs
 * say what is wrong before anything is sent.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters";

export function isValidName(name: string): boolean {
  return NAME.test(name) && !name.includes('..');
}

/** What is wrong with a name typed into the UI, as one sentence; undefined when it is fine. */
export function nameProblem(kind: string, name: string): string | undefined {
  return isValidName(name) ? undefined : `A ${kind} name uses ${NAME_RULE}`;
}
