/**
 * Writing the Prometheus text exposition format, version 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats): `# HELP` and
 * `# TYPE` once per metric family, then one `name{labels} value` line per
 * sample, every sample of a family together.
 * @module
 */

/** The content type of `/metrics`. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value escaped for the format: backslash, double quote and line feed. */
export function labelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** A `# HELP` text escaped for the format: backslash and line feed. */
function helpText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value: integers as they are, `+Inf`, `-Inf`, `NaN` spelled as the format wants. */
export function sampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Builds an exposition document family by family. */
export class ExpositionWriter {
  private text = '';

  /** Starts a metric family. */
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.text += `# HELP ${name} ${helpText(help)}\n# TYPE ${name} ${type}\n`;
    return this;
  }

  /** One sample; `labels` is already escaped (`a="x",b="y"`) or empty. */
  sample(name: string, labels: string, value: number): this {
    this.text += labels === '' ? `${name} ${sampleValue(value)}\n` : `${name}{${labels}} ${sampleValue(value)}\n`;
    return this;
  }

  /** The document. */
  toString(): string {
    return this.text;
  }
}
