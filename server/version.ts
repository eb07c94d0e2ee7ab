/** The release this code is, from package.json: printed at start, carried by /health and the GraphQL `health`. */
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
