/** package.json's postinstall: repairs the installed postgres.js (see lib/postgres-driver-patch.ts). */
import { driverRoot, patchPostgresDriver } from '../lib/postgres-driver-patch.js';

try {
  for (const line of patchPostgresDriver(driverRoot())) console.log(`postgres driver: ${line}`);
} catch (err) {
  console.error(`postgres driver: ${(err as Error).message}`);
  process.exit(1);
}
