'use strict';
// Ends every jest run with the plain line CI reads ("N passed, N failed, N skipped"), so a run that executed
// no test at all is visible as such.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\n${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
