/**
 * `npm run bundle`: builds the workers' workflow bundles into WORKFLOW_BUNDLE_PATH (default
 * DATA_DIR/workflow-bundle.js) and, for workers that export traces, beside it
 * (`workflow-bundle.traced.js`), as workers would build them. The Dockerfile runs it, so the
 * image's workers load their workflow code instead of bundling at every start, traced or not.
 * Nothing to do for a file that is already built from today's sources.
 */
import { loadConfigOrExit } from '../lib/config.js';
import { allWorkerBundleInputs, workflowBundleAt } from '../workers/workflow-bundle.js';

const config = loadConfigOrExit();
for (const inputs of allWorkerBundleInputs()) {
  const started = Date.now();
  const bundle = await workflowBundleAt(config.workflowBundlePath, inputs);
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (bundle.loaded) console.log(`${bundle.file} is current (built from today's sources)`);
  else if (bundle.writeError) {
    console.error(`Built the workflow bundle but did not save it to ${bundle.file}: ${bundle.writeError}. Run it again once nothing edits the project, or choose a writable WORKFLOW_BUNDLE_PATH.`);
    process.exit(1);
  } else console.log(`built ${bundle.file} in ${took} (${bundle.why})`);
}
