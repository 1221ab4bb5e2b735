/**
 * The Temporal SDK `require()`s the failure converter by path (DataConverter.failureConverterPath),
 * a TypeScript file. `npm start` runs under tsx, whose hook makes that work; vitest does not
 * install a require hook, so every test process registers tsx's.
 */
import { register } from 'tsx/cjs/api';

register();
