import { useEffect, useState, type JSX } from 'react';
import type { ConfigTable, ConfigValue } from '../../../shared/config';
import type { ModelInfoDto, ModelParamSpecDto } from '../../../shared/models';

type ParamValue = ConfigTable[string];

/** One param's input text back as a value of its declared type (text that is not one stays text). */
function parseParam(spec: ModelParamSpecDto, text: string): ParamValue {
  const number = (t: string): number | string => (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(t.trim()) ? Number(t) : t);
  switch (spec.type) {
    case 'integer':
    case 'number':
      return number(text);
    case 'boolean':
      return text === 'true';
    case 'string':
      return text;
    case 'integer[]':
    case 'number[]': {
      const items = text.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean).map(number);
      return items.every((item) => typeof item === 'number') ? items : text;
    }
  }
}

const show = (value: ParamValue | undefined): string => (value === undefined ? '' : Array.isArray(value) ? value.join(', ') : String(value));

/**
 * The form for `[model.params]` generated from the selected module's paramsSchema: one input per declared
 * param (a select for choices, a checkbox for booleans), the schema's default as the placeholder. The
 * whole table is written back on each change; the core checks it again when the run starts.
 */
export function ModelParamsForm({ module, value, disabled, onChange }: { module: ModelInfoDto; value: ConfigTable; disabled: boolean; onChange: (next: ConfigValue | null) => void }): JSX.Element {
  const schema = module.paramsSchema ?? {};
  const set = (name: string, next: ParamValue | null): void => {
    const table: ConfigTable = { ...value };
    if (next === null) delete table[name];
    else table[name] = next;
    onChange(Object.keys(table).length ? table : null);
  };
  const unknown = Object.keys(value).filter((name) => !(name in schema));
  return (
    <div className="cfg-params" data-module={module.name}>
      {Object.entries(schema).map(([name, spec]) => (
        <ParamInput key={name} name={name} spec={spec} value={value[name]} disabled={disabled} onChange={(next) => set(name, next)} />
      ))}
      {unknown.map((name) => (
        <p key={name} className="cfg-field-error" role="alert">
          {name}: unknown key for model module {module.file} (it accepts: {Object.keys(schema).join(', ') || 'no params'})
          <button type="button" className="cfg-link" disabled={disabled} onClick={() => set(name, null)}>
            Remove
          </button>
        </p>
      ))}
    </div>
  );
}

function ParamInput({ name, spec, value, disabled, onChange }: { name: string; spec: ModelParamSpecDto; value: ParamValue | undefined; disabled: boolean; onChange: (next: ParamValue | null) => void }): JSX.Element {
  const [draft, setDraft] = useState(show(value));
  useEffect(() => setDraft(show(value)), [value]);
  const label = (
    <span className="cfg-field-name cfg-mono" title={spec.doc}>
      {name}
    </span>
  );
  let input: JSX.Element;
  if (spec.type === 'boolean') {
    input = <input type="checkbox" aria-label={name} checked={value === true || (value === undefined && spec.default === true)} disabled={disabled} onChange={(event) => onChange(event.target.checked)} />;
  } else if (spec.choices) {
    input = (
      <select className="cfg-input" aria-label={name} value={typeof value === 'string' ? value : ''} disabled={disabled} onChange={(event) => onChange(event.target.value === '' ? null : event.target.value)}>
        <option value="">default: {show(spec.default)}</option>
        {spec.choices.map((choice) => (
          <option key={choice} value={choice}>
            {choice}
          </option>
        ))}
      </select>
    );
  } else {
    const numeric = spec.type === 'integer' || spec.type === 'number';
    input = (
      <input
        className="cfg-input cfg-mono"
        aria-label={name}
        type={numeric ? 'number' : 'text'}
        min={spec.min}
        max={spec.max}
        step={spec.type === 'integer' ? 1 : numeric ? 'any' : undefined}
        value={draft}
        placeholder={`default: ${show(spec.default)}`}
        disabled={disabled}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={() => {
          if (draft !== show(value)) onChange(draft.trim() === '' ? null : parseParam(spec, draft));
        }}
      />
    );
  }
  return (
    <label className="cfg-param" data-param={name}>
      {label} {input}
      {spec.doc && <span className="cfg-field-doc"> {spec.doc}</span>}
    </label>
  );
}
