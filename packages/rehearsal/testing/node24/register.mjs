// `node --import <this>`: Node 24 runs a `.ts` file as it is (type stripping); on this machine's
// Node 20 the hooks beside this file strip the types the same way, so a rehearsal can run a step
// that setup-node would have given Node 24.
import { register } from 'node:module';

register('./strip-types.mjs', import.meta.url);
