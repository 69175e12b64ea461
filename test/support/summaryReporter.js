'use strict';
// Ends every jest run with the plain line CI reads ("N passed, N failed, N skipped"), so a run that executed
// no test at all is visible as such. With EKS_DRIFT_TEST_SUMMARY set, the line is also written to that file, so
// .ci/run can repeat it as the very last line of its output (jest prints its own summary after reporters).
const { writeFileSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`;
    process.stdout.write(`\n${line}\n`);
    if (process.env.EKS_DRIFT_TEST_SUMMARY) writeFileSync(process.env.EKS_DRIFT_TEST_SUMMARY, `${line}\n`);
  }
}
module.exports = SummaryReporter;
