// Child process of `relaycheck bench crypto`: measures one figure in a fresh process.
// In: argv = part, rounds, ms per round, HELLOs per round. Out: one JSON line on stdout.
import { runPart } from './crypto';

const [part = '', rounds = '5', ms = '1000', hellos = '10000'] = process.argv.slice(2);
const figure = runPart(part, {
  rounds: Number(rounds),
  msPerRound: Number(ms),
  hellosPerRound: Number(hellos),
});
process.stdout.write(JSON.stringify(figure) + '\n');
