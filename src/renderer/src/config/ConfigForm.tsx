import { useEffect, useId, useState, type JSX, type KeyboardEvent } from 'react';
import type { ConfigFieldSpec, ConfigIssueDto, ConfigSchemaDto, ConfigTable, ConfigValue, ResolvedEntryDto } from '../../../shared/config';
import type { ModelInfoDto } from '../../../shared/models';
import { ModelParamsForm } from './ModelParamsForm';
import { displayConfigValue, formatConfigValue, originLabel, parseFieldInput } from './field-value';
import { OriginBadge } from './OriginBadge';
import './config.css';

export interface ConfigFormProps {
  schema: ConfigSchemaDto;
  /** The values the edited text sets (ValidateResult.values). */
  values: Readonly<Record<string, ConfigValue>>;
  /** Every key's resolved value and origin (ValidateResult.resolved). */
  resolved: readonly ResolvedEntryDto[];
  /** What each key falls back to when the text does not set it (ValidateResult.inherited). */
  inherited: readonly ResolvedEntryDto[];
  issues: readonly ConfigIssueDto[];
  /** Sets a key (null: remove it from the text so it inherits). Rejects with the core's message when refused. */
  onEdit: (key: string, value: ConfigValue | null) => Promise<void>;
  /** When set, the text cannot be edited through the form (e.g. a TOML syntax error); says why. */
  disabledReason?: string;
  /** Valid values that depend on the data folder (ValidateResult.choices): such keys get a select. */
  choices?: Readonly<Record<string, readonly string[]>>;
  /** The models to pick from (models:list): model.type becomes a picker, model.params a form from the module's schema. */
  models?: readonly ModelInfoDto[];
}

interface FieldProps {
  field: ConfigFieldSpec;
  value: ConfigValue | undefined;
  resolved: ResolvedEntryDto | undefined;
  inherited: ResolvedEntryDto | undefined;
  issues: readonly ConfigIssueDto[];
  onEdit: ConfigFormProps['onEdit'];
  disabled: boolean;
  /** The values to choose from (the schema's, or the data folder's for data.dataset). */
  options: readonly string[] | undefined;
  models?: readonly ModelInfoDto[] | undefined;
  /** The resolved model.type (for model.params: whose schema the form follows). */
  modelType?: string | undefined;
}

function inheritedText(entry: ResolvedEntryDto | undefined, field: ConfigFieldSpec): string {
  const value = entry ? entry.value : field.default;
  const text = Array.isArray(value) ? (value.length ? value.join(', ') : '[] (none)') : value === '' ? '""' : typeof value === 'object' ? displayConfigValue(value) : String(value);
  return entry ? `${text} (${originLabel(entry.origin)})` : text;
}

function ConfigField({ field, value, resolved, inherited, issues, onEdit, disabled, options, models, modelType }: FieldProps): JSX.Element {
  const id = useId();
  const formatted = formatConfigValue(value);
  const [draft, setDraft] = useState(formatted);
  const [editError, setEditError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The text is the source of truth: when it changes (a text edit, a Revert), the input follows.
  useEffect(() => setDraft(formatted), [formatted]);

  const commit = async (next: ConfigValue | null): Promise<void> => {
    setBusy(true);
    try {
      await onEdit(field.key, next);
      setEditError(null);
    } catch (error) {
      setEditError(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  const commitDraft = (): void => {
    if (draft === formatted && !editError) return;
    void commit(parseFieldInput(field, draft));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'Enter') commitDraft();
    if (event.key === 'Escape') {
      setDraft(formatted);
      setEditError(null);
    }
  };

  // A key the text sets with an invalid value is not in `values`, but it is in the text and can be reset.
  const isSet = value !== undefined || issues.length > 0;
  const placeholder = inheritedText(inherited, field);
  const describedBy = `${id}-doc`;
  // A table's issues may name one of its keys (`model.params.filters`): shown with that key.
  const errors = [...issues.map((issue) => (issue.key && issue.key !== field.key ? `${issue.key.slice(field.key.length + 1)}: ${issue.message}` : issue.message)), ...(editError ? [editError] : [])];
  const invalid = errors.length > 0;

  let input: JSX.Element;
  const selectedModule = models?.find((model) => model.name === modelType && !model.builtin);
  if (field.key === 'model.type' && models) {
    // Modules that fail to load stay in the list, disabled, with their error below.
    const current = typeof value === 'string' ? value : '';
    input = (
      <>
        <select
          id={id}
          className="cfg-input"
          value={current}
          disabled={disabled || busy}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          onChange={(event) => void commit(event.target.value === '' ? null : event.target.value)}
        >
          <option value="">inherit: {placeholder}</option>
          {models.map((model) => (
            <option key={model.name} value={model.name} disabled={model.error !== undefined && model.name !== current}>
              {model.builtin ? `${model.name} (built-in MLP)` : `${model.name} (${model.file})${model.error ? ' — cannot load' : ''}`}
            </option>
          ))}
          {current && !models.some((model) => model.name === current) && <option value={current}>{current} (no such module)</option>}
        </select>
        {models
          .filter((model) => model.error)
          .map((model) => (
            <p key={model.name} className="cfg-field-error cfg-model-error" data-model={model.name}>
              {model.error}
            </p>
          ))}
      </>
    );
  } else if (field.key === 'model.params' && selectedModule?.paramsSchema) {
    input = <ModelParamsForm module={selectedModule} value={(value as ConfigTable | undefined) ?? {}} disabled={disabled || busy} onChange={(next) => void commit(next)} />;
  } else if (field.type === 'table') {
    // A module without a schema takes any table: edited as `name = value` lines.
    input = (
      <textarea
        id={id}
        className="cfg-input cfg-mono"
        rows={Math.max(3, draft.split('\n').length + 1)}
        value={draft}
        placeholder={'units = 32\nname = "wide"'}
        disabled={disabled}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commitDraft}
      />
    );
  } else if (field.type === 'boolean') {
    const checked = typeof value === 'boolean' ? value : resolved?.value === true;
    input = (
      <label className="cfg-check">
        <input id={id} type="checkbox" checked={checked} disabled={disabled || busy} aria-describedby={describedBy} onChange={(event) => void commit(event.target.checked)} />
        <span>{checked ? 'true' : 'false'}</span>
      </label>
    );
  } else if (options) {
    // A value the text sets that is not a choice (a dataset not prepared) stays visible, marked.
    const unknown = typeof value === 'string' && !options.includes(value) ? value : undefined;
    input = (
      <select
        id={id}
        className="cfg-input"
        value={typeof value === 'string' ? value : ''}
        disabled={disabled || busy}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        onChange={(event) => void commit(event.target.value === '' ? null : event.target.value)}
      >
        <option value="">inherit: {placeholder}</option>
        {unknown !== undefined && <option value={unknown}>{unknown} (not found)</option>}
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    );
  } else {
    const numeric = field.type === 'integer' || field.type === 'number';
    input = (
      <input
        id={id}
        className="cfg-input cfg-mono"
        type={numeric ? 'number' : 'text'}
        inputMode={field.type === 'integer[]' ? 'numeric' : undefined}
        min={numeric ? field.min : undefined}
        max={numeric ? field.max : undefined}
        step={field.type === 'integer' ? 1 : numeric ? 'any' : undefined}
        value={draft}
        placeholder={placeholder}
        disabled={disabled}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commitDraft}
        onKeyDown={onKeyDown}
      />
    );
  }

  return (
    <div className={`cfg-field${invalid ? ' cfg-field--invalid' : ''}${isSet ? ' cfg-field--set' : ''}`} data-key={field.key}>
      <div className="cfg-field-head">
        <label htmlFor={id} className="cfg-field-name cfg-mono" title={field.key}>
          {field.name}
        </label>
        {resolved && <OriginBadge origin={resolved.origin} />}
        {isSet && (
          <button type="button" className="cfg-link" disabled={disabled || busy} onClick={() => void commit(null)} title={`Remove from this file; inherit ${placeholder}`}>
            Reset
          </button>
        )}
      </div>
      <div className="cfg-field-input">{input}</div>
      <p id={describedBy} className="cfg-field-doc">
        {field.doc} <span className="cfg-expected">{field.type === 'integer[]' ? 'Comma-separated integers; [] for none.' : `Accepts ${field.expected}.`}</span>
      </p>
      {errors.map((message, index) => (
        <p key={index} className="cfg-field-error" role="alert">
          {message}
        </p>
      ))}
    </div>
  );
}

/**
 * An issue of one key of a table field (`model.params.filters` from the module's paramsSchema), except an
 * unknown key: the params form lists those itself, with a Remove button.
 */
function isParamIssue(tableKey: string, issue: ConfigIssueDto): boolean {
  return issue.key !== undefined && issue.key.startsWith(`${tableKey}.`) && !issue.message.startsWith('unknown key');
}

/** The config as a form generated from the schema: one group per TOML table, one input per key. */
export function ConfigForm({ schema, values, resolved, inherited, issues, onEdit, disabledReason, choices, models }: ConfigFormProps): JSX.Element {
  const resolvedByKey = new Map(resolved.map((entry) => [entry.key, entry]));
  const modelType = resolvedByKey.get('model.type')?.value;
  const inheritedByKey = new Map(inherited.map((entry) => [entry.key, entry]));
  return (
    <div className="cfg-form">
      {disabledReason && (
        <p className="cfg-banner cfg-banner--warn" role="status">
          {disabledReason}
        </p>
      )}
      {schema.sections.map((section) => {
        const fields = schema.fields.filter((field) => field.section === section);
        if (!fields.length) return null;
        return (
          <fieldset key={section} className="cfg-section">
            <legend className="cfg-mono">[{section}]</legend>
            <div className="cfg-section-grid">
              {fields.map((field) => (
                <ConfigField
                  key={field.key}
                  field={field}
                  value={values[field.key]}
                  resolved={resolvedByKey.get(field.key)}
                  inherited={inheritedByKey.get(field.key)}
                  issues={issues.filter((issue) => !issue.source && (issue.key === field.key || (field.type === 'table' && isParamIssue(field.key, issue))))}
                  onEdit={onEdit}
                  disabled={disabledReason !== undefined}
                  options={field.values ?? choices?.[field.key]}
                  models={models}
                  modelType={typeof modelType === 'string' ? modelType : undefined}
                />
              ))}
            </div>
          </fieldset>
        );
      })}
    </div>
  );
}
