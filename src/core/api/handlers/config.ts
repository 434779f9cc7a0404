import { removeConfigValue, setConfigValue } from '../../config/edit.js';
import { readExperimentConfig, saveExperimentConfig, validateConfigText } from '../../config/experiment-config.js';
import { configSchemaDto } from '../../config/schema-dto.js';
import { refuseRuntimeNodeChange } from '../runtime-node-policy.js';
import type { DomainHandlers, HandlerContext } from './context.js';

/** The config schema and an experiment's config.toml: read, validate, edit as text, save. */
export function configHandlers(ctx: HandlerContext): DomainHandlers<'config'> {
  return {
    'config:schema': async () => configSchemaDto(),
    'config:read': async ({ experiment }) => readExperimentConfig(ctx.ws(), experiment),
    'config:validate': async ({ experiment, text, overrides }) => validateConfigText(ctx.ws(), experiment, text, overrides ?? []),
    'config:edit': async ({ text, key, value }) => (value === null ? removeConfigValue(text, key) : setConfigValue(text, key, value)),
    'config:save': async ({ experiment, text, base }) => {
      await refuseRuntimeNodeChange(ctx.ws(), experiment, text);
      return saveExperimentConfig(ctx.ws(), experiment, text, base);
    },
  };
}
