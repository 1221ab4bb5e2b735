/**
 * `npm run bundle`: builds the workers' workflow bundle into WORKFLOW_BUNDLE_PATH (default
 * DATA_DIR/workflow-bundle.js), as a worker of this configuration would build it. The Dockerfile
 * runs it, so the image's workers load their workflow code instead of bundling at every start.
 * Nothing to do when the file there is already built from today's sources.
 */
import { loadConfigOrExit } from '../lib/config.js';
import { workerBundleInputs, workflowBundleAt } from '../workers/workflow-bundle.js';

const config = loadConfigOrExit();
const started = Date.now();
const bundle = await workflowBundleAt(config.workflowBundlePath, workerBundleInputs(config));
const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
if (bundle.loaded) console.log(`${config.workflowBundlePath} is current (built from today's sources)`);
else if (bundle.writeError) {
  console.error(`Built the workflow bundle but did not save it to ${config.workflowBundlePath}: ${bundle.writeError}. Run it again once nothing edits the project, or choose a writable WORKFLOW_BUNDLE_PATH.`);
  process.exit(1);
} else console.log(`built ${config.workflowBundlePath} in ${took} (${bundle.why})`);
