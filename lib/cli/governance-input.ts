// Governance rules from a file, for `render --governance` and `governance --input`: the
// file's envelope checked (rules-file.ts), then every rule judged on its own (rules.ts),
// so one bad rule is reported and the others still count.
import { parseGovernance, parseRulesFile, type RuleSet } from '../governance/index.ts';
import { ValidationError } from '../model/validation.ts';
import { CliError } from './errors.ts';
import { readJsonInput } from './read-input.ts';

export async function readRulesFile(path: string, flag: string): Promise<RuleSet> {
  const raw = await readJsonInput(path, flag);
  try {
    return parseGovernance(parseRulesFile(raw));
  } catch (error) {
    if (error instanceof ValidationError) throw new CliError(`${flag} ${JSON.stringify(path)}: not a governance rules file: ${error.message}`);
    throw error;
  }
}
