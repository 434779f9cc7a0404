import { z } from 'zod';
import { isValidName, NAME_RULE } from './names.js';

/**
 * A request field holding a name (src/shared/names.ts). Apart from names.ts because the core checks names
 * on every CLI command, and zod is a fifth of the start-up of a command that parses no request
 * (`expman list`).
 */
export const nameSchema = z.string().refine(isValidName, `expected a name of ${NAME_RULE}`);
