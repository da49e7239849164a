import type { Pool } from 'pg';
import { RoutinesConfigurationError, type ConfigurationProblem } from '../core/errors';
import { tableColumnsSql } from '../postgres/sql/worker/table-columns.sql';
import { COLUMN_TYPES, isIdentifier, type WorkerColumns } from './worker-table';
import { MESSAGES } from './worker.messages';

/**
 * Checks that a job table exists with every worker column of the right type; a configuration
 * error names the table and each missing or mistyped column, all at once. Answers the id
 * column's type, which the statements cast their parameters to.
 */
export async function checkWorkerTable(
  pool: Pick<Pool, 'query'>,
  name: string,
  qualified: string | undefined,
  columns: WorkerColumns,
  source: string,
): Promise<string> {
  const problems: ConfigurationProblem[] = [];
  const problem = (option: string, value: unknown, message: string): void => {
    problems.push({ source, option, value, message });
  };
  if (!qualified) problem('table', name, MESSAGES.notQualifiedTableName);
  for (const [key, column] of Object.entries(columns)) {
    if (!isIdentifier(column)) problem(`columns.${key}`, column, MESSAGES.notColumnName);
  }
  if (problems.length > 0) throw new RoutinesConfigurationError(problems);
  const [schema, table] = name.includes('.') ? name.split('.') : [undefined, name];
  const { rows } = await pool.query<{ column_name: string; data_type: string }>(tableColumnsSql(), [
    table,
    schema ?? null,
  ]);
  if (rows.length === 0) {
    problem('table', name, MESSAGES.tableMissing(name));
    throw new RoutinesConfigurationError(problems);
  }
  const types = new Map(rows.map((row) => [row.column_name, row.data_type]));
  const idType = types.get(columns.id);
  if (!idType) problem('columns.id', columns.id, MESSAGES.notAColumnOf(name));
  for (const [key, allowed] of Object.entries(COLUMN_TYPES)) {
    const column = columns[key as keyof WorkerColumns];
    const type = types.get(column);
    if (type === undefined) {
      problem(`columns.${key}`, column, MESSAGES.columnMissing(name));
    } else if (!allowed.includes(type)) {
      problem(`columns.${key}`, column, MESSAGES.columnMistyped(type, name, allowed));
    }
  }
  if (problems.length > 0) throw new RoutinesConfigurationError(problems);
  return idType!;
}
